// Where things are: the repository, the pgs3 binary under test, and the run directory shared by all test files of
// one integration run (what pgs3 printed, the passwords the clusters used — for the leak check).
//
// Environment:
//   PGS3_BIN          the pgs3 binary (default: <repo>/build/release/pgs3)
//   PGS3_IT_RUN_DIR   the run directory (default: <tmpdir>/pgs3-it-run); tests/integration/run.sh makes a fresh one
//   PGS3_IT_KEEP=1    keep cluster and target directories after the tests (for debugging)
import { mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
export const clusterScript = join(repoRoot, 'scripts', 'pg-cluster.sh');
export const pgs3Bin = process.env.PGS3_BIN ? resolve(process.env.PGS3_BIN) : join(repoRoot, 'build', 'release', 'pgs3');
export const keepArtifacts = process.env.PGS3_IT_KEEP === '1';

export const runDir = resolve(process.env.PGS3_IT_RUN_DIR || join(tmpdir(), 'pgs3-it-run'));
// One file per pgs3 invocation: its stdout and stderr, exactly as printed.
export const outputLogDir = join(runDir, 'pgs3-output');
// One file per cluster: the passwords it was created with (kept apart from the output being searched).
export const secretsDir = join(runDir, 'secrets');
mkdirSync(outputLogDir, { recursive: true });
mkdirSync(secretsDir, { recursive: true, mode: 0o700 });
