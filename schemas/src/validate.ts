import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';
import { fullFormats } from 'ajv-formats/dist/formats.js';
import { CONTRACTS, type ContractName, type ContractOf } from './contracts.js';

// ajv-formats is CommonJS with a default export.
const addFormats = addFormatsModule as unknown as (ajv: Ajv) => Ajv;

export interface FieldError {
  /** JSON-pointer-like path of the offending field, e.g. `/bbox/w` (`/` for the root). */
  readonly path: string;
  readonly message: string;
}

export type ValidationResult<T> = { ok: true; value: T } | { ok: false; errors: FieldError[] };

/** The validator whose verdict and errors count: every error, string lengths in code points. */
const ajv = new Ajv({ allErrors: true, strict: true, allowUnionTypes: true });
addFormats(ajv);
/**
 * A first pass for the common case, a valid message: stops at the first error and measures
 * strings in UTF-16 units (no per-string code point count, a few per cent of a decode). A UTF-16
 * length is never below the code point count, and the contracts use no `minLength` above 1, so
 * everything this pass accepts the full one accepts too; whatever it refuses gets the full pass,
 * so the accepted set and the errors reported are exactly the full validator's.
 */
const quick = new Ajv({
  allErrors: false,
  unicode: false, // deprecated in ajv 8 but still honoured (vocabularies/validation/limitLength.js)
  strict: true,
  allowUnionTypes: true,
  // ...and announced on every construction: keep that one line out of every service's stderr.
  logger: {
    log: (...a: unknown[]) => console.log(...a),
    warn: (...a: unknown[]) => {
      if (!String(a[0]).startsWith('DEPRECATED: option unicode')) console.warn(...a);
    },
    error: (...a: unknown[]) => console.error(...a),
  },
});
addFormats(quick);

const fullDateTime = fullFormats['date-time'] as { validate: (s: string) => boolean; compare: (a: string, b: string) => number | undefined };
const DAYS = [0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
const digit = (s: string, i: number): number => {
  const c = s.charCodeAt(i) - 48;
  return c >= 0 && c <= 9 ? c : NaN;
};

/**
 * RFC 3339 `date-time`, exactly as ajv-formats' full mode decides it (calendar dates, leap
 * years, leap seconds, offsets), but fast on the shape every producer here writes
 * (`YYYY-MM-DDTHH:MM:SS[.fraction]Z`, `Date.toISOString()`): that shape is checked by character
 * codes without a regex, a split or a `Date`; anything it does not positively accept goes to
 * ajv-formats' full check, so the set of accepted strings is unchanged.
 */
export function isDateTime(s: string): boolean {
  const n = s.length;
  const last = s.charCodeAt(n - 1);
  if (n >= 20 && (last === 90 || last === 122) /* Z z */ && s.charCodeAt(4) === 45 && s.charCodeAt(7) === 45) {
    const sep = s.charCodeAt(10);
    if ((sep === 84 || sep === 116) /* T t */ && s.charCodeAt(13) === 58 && s.charCodeAt(16) === 58) {
      const year = digit(s, 0) * 1000 + digit(s, 1) * 100 + digit(s, 2) * 10 + digit(s, 3);
      const month = digit(s, 5) * 10 + digit(s, 6);
      const day = digit(s, 8) * 10 + digit(s, 9);
      const hr = digit(s, 11) * 10 + digit(s, 12);
      const min = digit(s, 14) * 10 + digit(s, 15);
      const sec = digit(s, 17) * 10 + digit(s, 18);
      let fraction = n === 20;
      if (!fraction && s.charCodeAt(19) === 46 /* . */ && n > 21) {
        fraction = true;
        for (let i = 20; i < n - 1; i++) if (Number.isNaN(digit(s, i))) fraction = false;
      }
      const leap = year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
      if (
        fraction &&
        year >= 0 &&
        month >= 1 &&
        month <= 12 &&
        day >= 1 &&
        day <= (month === 2 && leap ? 29 : (DAYS[month] as number)) &&
        hr <= 23 &&
        min <= 59 &&
        sec <= 59
      ) {
        return true; // NaN (a non-digit) fails every comparison above
      }
    }
  }
  return fullDateTime.validate(s);
}
for (const a of [ajv, quick]) a.addFormat('date-time', { type: 'string', validate: isDateTime, compare: fullDateTime.compare });

const compiled = new Map<ContractName, { full: ValidateFunction; quick: ValidateFunction }>();
function validatorFor(name: ContractName): { full: ValidateFunction; quick: ValidateFunction } {
  let fn = compiled.get(name);
  if (!fn) {
    fn = { full: ajv.compile(CONTRACTS[name]), quick: quick.compile(CONTRACTS[name]) };
    compiled.set(name, fn);
  }
  return fn;
}

/** Turn ajv errors into `path: reason` pairs that name the field. */
export function toFieldErrors(errors: readonly ErrorObject[] | null | undefined): FieldError[] {
  const out: FieldError[] = [];
  for (const e of errors ?? []) {
    let path = e.instancePath || '/';
    let message = e.message ?? 'is invalid';
    if (e.keyword === 'additionalProperties') {
      const extra = (e.params as { additionalProperty?: string }).additionalProperty;
      path = `${e.instancePath}/${extra ?? ''}`;
      message = 'is not allowed (unknown field)';
    } else if (e.keyword === 'required') {
      const missing = (e.params as { missingProperty?: string }).missingProperty;
      path = `${e.instancePath}/${missing ?? ''}`;
      message = 'is required';
    }
    // Unions report one error per branch; keep the first per path to stay readable.
    if (!out.some((o) => o.path === path)) out.push({ path, message });
  }
  return out;
}

export function validate<N extends ContractName>(name: N, value: unknown): ValidationResult<ContractOf<N>> {
  const fn = validatorFor(name);
  if (fn.quick(value) || fn.full(value)) return { ok: true, value: value as ContractOf<N> };
  return { ok: false, errors: toFieldErrors(fn.full.errors) };
}

/** `path: reason; path: reason` — for logs and dead-letter reasons. */
export function describeErrors(errors: readonly FieldError[]): string {
  return errors.map((e) => `${e.path}: ${e.message}`).join('; ');
}

/** Thrown when a value does not satisfy its contract. `code` is stable for callers to branch on. */
export class ContractViolationError extends Error {
  readonly code = 'SW_CONTRACT_INVALID';
  readonly retryable = false;
  constructor(
    readonly contract: ContractName,
    readonly errors: FieldError[],
  ) {
    super(`${contract} is invalid: ${describeErrors(errors)}`);
    this.name = 'ContractViolationError';
  }
}

/** Validate or throw {@link ContractViolationError}. */
export function assertValid<N extends ContractName>(name: N, value: unknown): ContractOf<N> {
  const r = validate(name, value);
  if (!r.ok) throw new ContractViolationError(name, r.errors);
  return r.value;
}
