/**
 * Emits config/schema.json from the zod schema, for editor completion in the YAML files
 * (`# yaml-language-server: $schema=./schema.json`). A test keeps the file in step.
 * Run: node dist/config/emit-json-schema.js [--check]
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { z } from 'zod';
import { environmentSchema } from './schema/environment';

export function renderJsonSchema(): string {
  const schema = z.toJSONSchema(environmentSchema, { io: 'input', unrepresentable: 'any', target: 'draft-2020-12' });
  return JSON.stringify({ ...schema, title: 'mlobs environment', $id: 'https://mlobs.dev/schema/environment.json' }, null, 2) + '\n';
}

export const JSON_SCHEMA_PATH = path.resolve(__dirname, '..', '..', 'config', 'schema.json');

if (require.main === module) {
  const text = renderJsonSchema();
  if (process.argv.includes('--check')) {
    const current = fs.existsSync(JSON_SCHEMA_PATH) ? fs.readFileSync(JSON_SCHEMA_PATH, 'utf8') : '';
    if (current !== text) {
      process.stderr.write('config/schema.json is out of date; run npm run schema\n');
      process.exitCode = 1;
    }
  } else {
    fs.writeFileSync(JSON_SCHEMA_PATH, text);
  }
}
