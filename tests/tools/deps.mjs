// The npm packages the integration tests and tools use, re-exported from here so that modules outside tests/tools
// (tests/integration/**) resolve them from tests/tools/node_modules, pinned by tests/tools/package-lock.json.
export { default as pg } from 'pg';
export { DuckDBInstance } from '@duckdb/node-api';
export { parquetMetadataAsync, parquetReadObjects, parquetRead, asyncBufferFromFile } from 'hyparquet';
export { parquetHeader } from 'hyparquet/src/column.js';
export { compressors } from 'hyparquet-compressors';
