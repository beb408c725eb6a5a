import { errorCatalogue } from './error-catalogue.js';
import { GrpcStatus } from './grpc-status.js';

const grpcName = new Map<number, string>(Object.entries(GrpcStatus).map(([name, code]) => [code, name]));

/** Renders docs/errors.md from the catalogue, so the document cannot drift from the code. */
export function renderErrorsMarkdown(): string {
  const lines = [
    '# Errors',
    '',
    'Every error the Outrigger APIs return, generated from `packages/kit/src/error-catalogue.ts`',
    '(`npm run docs:errors`; a test fails when this file and the catalogue differ).',
    '',
    'HTTP errors have the body `{"errorCode": "...", "message": "..."}`, as Dapr\'s do. Rows with a',
    'reason also carry `details` with a `google.rpc.ErrorInfo` (domain `dapr.io`), as Dapr\'s rich errors do.',
    'One exception, as in daprd: a missing or wrong `dapr-api-token` is answered with a plain-text',
    '`401 invalid api token`.',
    '',
    '| kind | errorCode | HTTP | gRPC | reason | message |',
    '| --- | --- | --- | --- | --- | --- |',
  ];
  for (const [kind, entry] of Object.entries(errorCatalogue)) {
    const reason = 'reason' in entry && entry.reason ? entry.reason : '';
    const message = entry.message.replaceAll('|', '\\|');
    lines.push(`| ${kind} | ${entry.code} | ${entry.httpStatus} | ${grpcName.get(entry.grpcStatus) ?? entry.grpcStatus} | ${reason} | ${message} |`);
  }
  return `${lines.join('\n')}\n`;
}
