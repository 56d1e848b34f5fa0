import { validate, type ContractName, type ContractOf, type FieldError } from '@streetwatch/schemas';

export type DecodeFailureCode = 'SW_CONTRACT_EMPTY' | 'SW_CONTRACT_MALFORMED_JSON' | 'SW_CONTRACT_INVALID';

export type Decoded<N extends ContractName> =
  | { ok: true; value: ContractOf<N> }
  | { ok: false; code: DecodeFailureCode; reason: string; errors: FieldError[] };

/** Parse and validate one Kafka message value against a contract, never throwing. */
export function decodeContract<N extends ContractName>(contract: N, raw: Buffer | null): Decoded<N> {
  if (raw === null || raw.length === 0) {
    return { ok: false, code: 'SW_CONTRACT_EMPTY', reason: 'message has no value', errors: [] };
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw.toString('utf8'));
  } catch (e) {
    return {
      ok: false,
      code: 'SW_CONTRACT_MALFORMED_JSON',
      reason: `value is not JSON: ${(e as Error).message}`,
      errors: [{ path: '/', message: 'not JSON' }],
    };
  }
  const r = validate(contract, parsed);
  if (r.ok) return { ok: true, value: r.value };
  return {
    ok: false,
    code: 'SW_CONTRACT_INVALID',
    reason: `${contract}: ${r.errors.map((e) => `${e.path}: ${e.message}`).join('; ')}`,
    errors: r.errors,
  };
}
