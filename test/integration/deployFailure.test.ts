// A deploy that fails at any stage removes everything it made. The failure is injected through
// the Lab's constructor seam (LabOptions.injectFailure), in process and in host mode (named
// namespaces, real TAPs and host shells), so that each stage is reached with what the earlier
// ones made. lab.test.ts covers a real failure through the CLI and the engine process. Root.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Lab } from '../../src/engine/lab.js';
import { loadTopologyFile } from '../../src/engine/topology/load.js';
import { DEPLOY_STAGES } from '../../src/shared/contract.js';
import { IS_ROOT, labLeftovers, ROOT } from '../helpers/cli.js';

const TWO_HOSTS = join(ROOT, 'examples', 'two-hosts.yaml');

describe.skipIf(!IS_ROOT)('a deploy that fails at a stage', () => {
  const dir = mkdtempSync(join(tmpdir(), 'nw-deploy-failure-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  for (const stage of DEPLOY_STAGES) {
    it(`"${stage}": reports the stage and leaves no namespace, interface or process`, async () => {
      const loaded = await loadTopologyFile(TWO_HOSTS);
      if (!loaded.ok) throw new Error(`${TWO_HOSTS} does not validate`);
      const labId = randomBytes(4).toString('hex');
      const labDir = join(dir, stage);
      const lab = new Lab({
        topology: loaded.topology,
        network: 'host',
        labId,
        labDir,
        logDir: join(labDir, 'logs'),
        enginePid: process.pid,
        injectFailure: stage,
      });
      try {
        await expect(lab.deploy()).rejects.toThrow(`deploy failed at stage "${stage}"`);
        expect(await labLeftovers(labId)).toEqual([]);
      } finally {
        await lab.destroy();
      }
    });
  }
});
