// One redaction for everything that leaves the process or reaches the API: log lines, Events,
// condition messages and the rest of every status, ConfigMaps, the CLI's errors. Two nets:
// - every secret value the process was given (a Secret's passwords, the agents' token, an RDS master
//   password) is registered when read and replaced wherever it appears, whatever surrounds it;
// - shapes that carry credentials are cut even when the value was never registered: URL passwords
//   (with '/' or '@' inside), PASSWORD '...' in SQL, SCRAM and md5 verifiers, bearer tokens,
//   key=value and JSON secrets, AWS secret access keys.

export const REDACTED = '***';

/** Values shorter than this are not registered: replacing them everywhere would garble ordinary text. */
const MIN_SECRET_LENGTH = 6;
const MAX_REGISTERED = 4096;
const registered = new Set<string>();

/** Remembers a secret value so that `redact` replaces it wherever it shows up. */
export function registerSecret(value: string | undefined): void {
  if (!value || value.length < MIN_SECRET_LENGTH || registered.has(value)) return;
  if (registered.size >= MAX_REGISTERED) registered.delete(registered.values().next().value as string);
  registered.add(value);
  // What a server or a URL parser may echo of it: percent-encoded, and doubled quotes in SQL literals.
  const encoded = encodeURIComponent(value);
  if (encoded !== value) registered.add(encoded);
  if (value.includes("'")) registered.add(value.replaceAll("'", "''"));
}

/** The password of a URL (decoded), or undefined. */
export function urlPassword(url: string | undefined): string | undefined {
  if (!url) return undefined;
  try {
    return decodeURIComponent(new URL(url).password) || undefined;
  } catch {
    return undefined;
  }
}

const SECRET_KEYS =
  'password|passwd|pwd|secret|token|sslkey|sslpassword|apikey|api_key|authorization|' +
  'aws_secret_access_key|secret_access_key|aws_session_token|session_token|master_user_password';
const JSON_SECRET_KEYS = 'password|secret|token|secretstring|secretaccesskey|sessiontoken|masteruserpassword|authorization';
const B64 = 'A-Za-z0-9/+=';

const SHAPES: ReadonlyArray<readonly [RegExp, string]> = [
  // scheme://user:password@host — greedy to the token's last '@', so '/' or '@' in the password go too.
  [/([a-z][a-z0-9+.-]*:\/\/[^:/?#@\s]*:)\S*@/gi, `$1${REDACTED}@`],
  // CREATE/ALTER ROLE ... [ENCRYPTED] PASSWORD 'it''s'
  [/\b(PASSWORD\s+)'(?:[^']|'')*'/gi, `$1'${REDACTED}'`],
  [/\bSCRAM-SHA-256\$[^\s'",;]+/g, `SCRAM-SHA-256$${REDACTED}`],
  [/\bmd5[0-9a-f]{32}\b/g, `md5${REDACTED}`],
  [/\b(Bearer\s+)[A-Za-z0-9._~+/=-]+/gi, `$1${REDACTED}`],
  [new RegExp(`("(?:${JSON_SECRET_KEYS})"\\s*:\\s*)"(?:[^"\\\\]|\\\\.)*"`, 'gi'), `$1"${REDACTED}"`],
  [new RegExp(`\\b(${SECRET_KEYS})(\\s*[=:]\\s*)("(?:[^"\\\\]|\\\\.)*"|'(?:[^'\\\\]|\\\\.)*'|[^\\s,;&"')]+)`, 'gi'), `$1$2${REDACTED}`],
  // An AWS secret access key: 40 characters of base64 with upper case, lower case and a digit.
  [new RegExp(`(?<![${B64}])(?=[${B64}]{0,39}[A-Z])(?=[${B64}]{0,39}[a-z])(?=[${B64}]{0,39}[0-9])[${B64}]{40}(?![${B64}])`, 'g'), REDACTED],
];

/**
 * What every shape above needs somewhere in the text (a word of its pattern, '://', or a run of 40
 * base64 characters): a text without any of them cannot match one, and skips the eight patterns. A
 * status of a 1,000-table tenant is thousands of such strings (table names, ACLs, sequence values).
 */
const MAY_HAVE_SHAPE = new RegExp(
  `:\\/\\/|password|passwd|pwd|secret|token|sslkey|apikey|api_key|authorization|scram-sha-256|md5|bearer|[${B64}]{40}`,
  'i',
);

/** The registered secrets and `extra`, longest first (a secret containing another is replaced whole). */
function literalsOf(extra: readonly string[]): string[] {
  return [...registered, ...extra.filter((e) => e.length > 0)].sort((a, b) => b.length - a.length);
}

function redactWith(text: string, literal: readonly string[]): string {
  let out = text;
  for (const value of literal) if (out.includes(value)) out = out.replaceAll(value, REDACTED);
  if (!MAY_HAVE_SHAPE.test(out)) return out;
  for (const [shape, replacement] of SHAPES) out = out.replace(shape, replacement);
  return out;
}

/** `text` with every registered secret, every `extra` value and every credential-shaped part replaced. */
export function redact(text: string, extra: readonly string[] = []): string {
  return redactWith(text, literalsOf(extra));
}

/** A copy of a JSON-like value with every string redacted (keys are kept). */
export function redactDeep<T>(value: T): T {
  const literal = literalsOf([]);
  const walk = (v: unknown): unknown => {
    if (typeof v === 'string') return redactWith(v, literal);
    if (Array.isArray(v)) return v.map(walk);
    if (v && typeof v === 'object' && Object.getPrototypeOf(v) === Object.prototype) {
      return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, walk(x)]));
    }
    return v;
  };
  return walk(value) as T;
}
