/**
 * A throwaway project directory for the e2e: the e2e environment file with the local cluster's
 * kubeconfig, synthesized into <dir>/cdktf.out/stacks/e2e (local state lands in <dir>).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseDocument } from 'yaml';
import { synthesizeAll } from '../stacks/app';
import { REPO_ROOT } from '../test/helpers/paths';

export const E2E_ENV = 'e2e';

export class E2eProject {
  readonly dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mlobs-e2e-project-'));
  readonly configDir = path.join(this.dir, 'config');
  readonly outdir = path.join(this.dir, 'cdktf.out');
  readonly stackDir = path.join(this.outdir, 'stacks', E2E_ENV);

  constructor(private readonly kubeconfig: string) {
    fs.mkdirSync(this.configDir);
  }

  /** Writes the environment file (with `edit` applied to its YAML document) and synthesizes it. */
  synth(edit: (doc: ReturnType<typeof parseDocument>) => void = () => undefined): void {
    const doc = parseDocument(fs.readFileSync(path.join(REPO_ROOT, 'e2e', 'environment.yaml'), 'utf8'));
    doc.setIn(['cluster', 'kubeconfig', 'path'], this.kubeconfig);
    edit(doc);
    fs.writeFileSync(path.join(this.configDir, `${E2E_ENV}.yaml`), doc.toString());
    synthesizeAll({ configDir: this.configDir, outdir: this.outdir });
  }

  remove(): void {
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}
