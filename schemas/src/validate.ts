import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';
import { CONTRACTS, type ContractName, type ContractOf } from './contracts.js';

// ajv-formats is CommonJS with a default export.
const addFormats = addFormatsModule as unknown as (ajv: Ajv) => Ajv;

export interface FieldError {
  /** JSON-pointer-like path of the offending field, e.g. `/bbox/w` (`/` for the root). */
  readonly path: string;
  readonly message: string;
}

export type ValidationResult<T> = { ok: true; value: T } | { ok: false; errors: FieldError[] };

const ajv = new Ajv({ allErrors: true, strict: true, allowUnionTypes: true });
addFormats(ajv);

const compiled = new Map<ContractName, ValidateFunction>();
function validatorFor(name: ContractName): ValidateFunction {
  let fn = compiled.get(name);
  if (!fn) {
    fn = ajv.compile(CONTRACTS[name]);
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
  if (fn(value)) return { ok: true, value: value as ContractOf<N> };
  return { ok: false, errors: toFieldErrors(fn.errors) };
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
