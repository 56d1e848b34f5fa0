import { Type, type Static } from '@sinclair/typebox';
import { ObjectStoreConfigSchema } from '@streetwatch/platform';

/** `evidence.store`: where the box puts its pictures (S3 API) and how the uploader retries. */
export const EvidenceStoreConfigSchema = Type.Object(
  {
    ...ObjectStoreConfigSchema.properties,
    prefix: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 200,
        pattern: '^[A-Za-z0-9][A-Za-z0-9._:@/-]*/$',
        description: "key prefix of this box's pictures, ending in '/' (default edge/<gatewayId>/): its S3 identity may only PUT under it",
      }),
    ),
    backoffInitialMs: Type.Integer({ minimum: 1, default: 500, description: 'first wait after a failed upload' }),
    backoffMaxMs: Type.Integer({ minimum: 1, default: 30_000, description: 'cap of the exponential backoff' }),
    idleMs: Type.Integer({ minimum: 10, default: 5_000, description: 'with nothing to upload: refresh gauges and expire old pictures this often' }),
  },
  { additionalProperties: false },
);
export type EvidenceStoreConfig = Static<typeof EvidenceStoreConfigSchema>;
