import type { ZodOpenApiPathsObject } from 'zod-openapi';
import { jsonResponse, operation } from './openapi-operation';
import { retireCheckQuerySchema, rewrapQuerySchema } from './ops';
import * as responses from './responses';
import { idParamSchema } from './schemas';

/** The OpenAPI paths of the operator routes (src/routes/ops.ts, docs/key-management.md). */

const statusResponse = jsonResponse(
  'Rows per key, and rows still on old keys.',
  responses.keyStatusSchema,
);

export const opsPaths: ZodOpenApiPathsObject = {
  '/ops/keys/status': {
    get: operation({
      tag: 'Key management',
      operationId: 'keyStatus',
      summary: 'Which keys stored rows still need',
      isOperator: true,
      success: { status: '200', response: statusResponse },
    }),
  },
  '/ops/keys/rewrap': {
    post: operation({
      tag: 'Key management',
      operationId: 'rewrapKeys',
      summary: 'Run one bounded pass of the rewrap job',
      description:
        'Rewraps data keys under the current key-encryption key, re-seals values from before ' +
        'envelope encryption and recomputes blind indexes with the current blind key, at most ' +
        '`batch_size` of each. Idempotent and resumable: call it until `status.rows_on_old_keys` ' +
        'is 0.',
      isOperator: true,
      params: { query: rewrapQuerySchema },
      success: {
        status: '200',
        response: jsonResponse(
          'What the pass moved, and the status after it.',
          responses.rewrapPassSchema,
        ),
      },
    }),
  },
  '/ops/keys/retire-check': {
    get: operation({
      tag: 'Key management',
      operationId: 'checkKeyRetirement',
      summary: 'Whether a key may leave its ring',
      description: '409 `key-still-in-use` while it is the current key or any stored row needs it.',
      isOperator: true,
      params: { query: retireCheckQuerySchema },
      success: {
        status: '200',
        response: jsonResponse('The key can be removed.', responses.retireCheckSchema),
      },
      problems: [404, 409],
    }),
  },
  '/ops/keys/holders/{id}/replace-data-key': {
    post: operation({
      tag: 'Key management',
      operationId: 'replaceDataKey',
      summary: "Replace one holder's data key",
      description: 'For a data key thought compromised: every sealed value is re-encrypted.',
      isOperator: true,
      params: { path: idParamSchema },
      success: {
        status: '200',
        response: jsonResponse('The new version.', responses.dataKeyReplacementSchema),
      },
    }),
  },
};
