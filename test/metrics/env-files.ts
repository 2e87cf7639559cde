/** The project's environment files, read as a user wrote them (input, before defaults). */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parse } from 'yaml';
import type { EnvironmentInput } from '../../config/schema/environment';
import { REPO_ROOT } from '../helpers/paths';

export const ENVIRONMENTS = ['dev', 'staging', 'prod'] as const;

export function loadEnvironmentFile(name: string): EnvironmentInput {
  return parse(fs.readFileSync(path.join(REPO_ROOT, 'config', `${name}.yaml`), 'utf8')) as EnvironmentInput;
}
