/**
 * A table of hostile and contradictory environment files. Each must fail synthesis with a
 * message naming the file and the field, and nothing may be written: no cdktf.out, no temp
 * directory left beside it.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ConfigError } from '../../config';
import { synthesizeAll } from '../../stacks/app';

/** A valid base: every case adds or breaks one thing. */
const BASE = 'grafana:\n  adminCredentials:\n    secretName: grafana-admin\n';

interface Case {
  readonly name: string;
  /** File name -> content (a string or raw bytes). */
  readonly files: Readonly<Record<string, string | Buffer>>;
  /** Must match the error text; always names `config/<file>` and the field (or the file itself). */
  readonly expect: RegExp;
}

const bomb = ['a: &a [x, x, x, x, x, x, x, x, x, x]', 'b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]', 'c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]', 'd: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]', 'e: [*d, *d, *d, *d, *d, *d, *d, *d, *d, *d]'].join('\n');

const CASES: readonly Case[] = [
  // wrong types
  { name: 'replicas as a string', files: { 'dev.yaml': BASE + 'prometheus:\n  replicas: "2"\n' }, expect: /config\/dev\.yaml: prometheus\.replicas: expected a number, received string "2"/ },
  { name: 'a boolean as a string', files: { 'dev.yaml': BASE + 'tls:\n  enabled: "true"\n' }, expect: /config\/dev\.yaml: tls\.enabled: expected true or false, received string "true"/ },
  { name: 'labels as a list', files: { 'dev.yaml': BASE + 'labels: [a, b]\n' }, expect: /config\/dev\.yaml: labels: expected a mapping, received a list of 2/ },
  { name: 'pipelines as a string', files: { 'dev.yaml': BASE + 'logs:\n  pipelines: loki\n' }, expect: /config\/dev\.yaml: logs\.pipelines: expected a list, received string "loki"/ },
  { name: 'CPU quantity as a number', files: { 'dev.yaml': BASE + 'loki:\n  resources:\n    requests: {cpu: 1, memory: 1Gi}\n    limits: {memory: 2Gi}\n' }, expect: /config\/dev\.yaml: loki\.resources\.requests\.cpu: 1 must be a string quantity/ },
  { name: 'the whole file a list', files: { 'dev.yaml': '- a\n- b\n' }, expect: /config\/dev\.yaml: must be a mapping of settings/ },
  // unknown keys
  { name: 'misspelled top-level key', files: { 'dev.yaml': BASE + 'retension: {}\n' }, expect: /config\/dev\.yaml: retension: unknown key \(did you mean "retention"\?\)/ },
  { name: 'misspelled nested key', files: { 'dev.yaml': 'grafana:\n  adminCredentials:\n    secretName: g\n  replica: 2\n' }, expect: /config\/dev\.yaml: grafana\.replica: unknown key \(did you mean "replicas"\?\)/ },
  { name: 'unknown key in a secret reference', files: { 'dev.yaml': BASE.replace('secretName: grafana-admin', 'secretName: grafana-admin\n    password: hunter2hunter2') }, expect: /config\/dev\.yaml: grafana\.adminCredentials\.password: unknown key/ },
  // bad durations and sizes
  { name: 'duration with words', files: { 'dev.yaml': BASE + 'retention:\n  prometheus:\n    time: 30 days\n' }, expect: /config\/dev\.yaml: retention\.prometheus\.time: "30 days" is not a duration/ },
  { name: 'duration without unit', files: { 'dev.yaml': BASE + 'retention:\n  loki:\n    period: "744"\n' }, expect: /config\/dev\.yaml: retention\.loki\.period: "744" is not a duration/ },
  { name: 'zero duration', files: { 'dev.yaml': BASE + 'prometheus:\n  scrapeInterval: 0s\n' }, expect: /config\/dev\.yaml: prometheus\.scrapeInterval: "0s" must be longer than zero/ },
  { name: 'negative size', files: { 'dev.yaml': BASE + 'prometheus:\n  storage:\n    sizeGiB: -5\n' }, expect: /config\/dev\.yaml: prometheus\.storage\.sizeGiB: -5 must be greater than 0/ },
  { name: 'size with a unit', files: { 'dev.yaml': BASE + 'loki:\n  storage:\n    sizeGiB: 50Gi\n' }, expect: /config\/dev\.yaml: loki\.storage\.sizeGiB: "50Gi" must be a number of GiB without a unit/ },
  { name: 'fractional size', files: { 'dev.yaml': BASE + 'loki:\n  storage:\n    sizeGiB: 1.5\n' }, expect: /config\/dev\.yaml: loki\.storage\.sizeGiB: 1\.5 must be a whole number of GiB/ },
  { name: 'memory quantity nonsense', files: { 'dev.yaml': 'grafana:\n  adminCredentials: {secretName: g}\n  resources:\n    requests: {cpu: 100m, memory: lots}\n    limits: {memory: 1Gi}\n' }, expect: /config\/dev\.yaml: grafana\.resources\.requests\.memory: "lots" is not a memory quantity/ },
  // contradictions
  { name: 'retention shorter than rollover', files: { 'dev.yaml': BASE + 'retention:\n  elasticsearch:\n    rollover: {maxAge: 7d}\n    delete: {minAge: 1d}\n' }, expect: /config\/dev\.yaml: retention\.elasticsearch\.delete\.minAge: "1d" must be longer than the rollover age "7d"/ },
  { name: 'warm phase without warm nodes', files: { 'dev.yaml': BASE + 'logs: {pipelines: [elastic]}\nretention:\n  elasticsearch:\n    warm: {minAge: 7d}\n    delete: {minAge: 30d}\n' }, expect: /config\/dev\.yaml: elastic\.tiers\.warm: is required because retention\.elasticsearch\.warm moves indices to warm nodes/ },
  { name: 'warm after delete', files: { 'dev.yaml': BASE + 'retention:\n  elasticsearch:\n    warm: {minAge: 60d}\n    delete: {minAge: 30d}\n' }, expect: /config\/dev\.yaml: retention\.elasticsearch\.warm\.minAge: "60d" must be shorter than the delete age "30d"/ },
  { name: 'Prometheus retention size above its volume', files: { 'dev.yaml': BASE + 'retention:\n  prometheus: {sizeGiB: 80}\nprometheus:\n  storage: {sizeGiB: 50}\n' }, expect: /config\/dev\.yaml: retention\.prometheus\.sizeGiB: 80 is larger than the volume/ },
  { name: 'TLS on with no issuer', files: { 'dev.yaml': BASE + 'tls:\n  enabled: true\n' }, expect: /config\/dev\.yaml: tls\.issuer: is required when tls\.enabled is true; please set/ },
  { name: 'issuer of an unknown kind', files: { 'dev.yaml': BASE + 'tls:\n  enabled: true\n  issuer: {kind: vault}\n' }, expect: /config\/dev\.yaml: tls\.issuer\.kind: "vault" is not allowed; use one of "selfSigned", "clusterIssuer", "acme"/ },
  { name: 'ACME over plain http', files: { 'dev.yaml': BASE + 'tls:\n  enabled: true\n  issuer: {kind: acme, server: "http://acme.example.com/dir", email: a@example.com}\n' }, expect: /config\/dev\.yaml: tls\.issuer\.server: "http:\/\/acme\.example\.com\/dir" must be an https:\/\/ URL/ },
  { name: 'tenant header without multi-tenancy', files: { 'dev.yaml': BASE + 'loki:\n  authEnabled: false\n  tenant: team-a\n' }, expect: /config\/dev\.yaml: loki\.tenant: "team-a" is ignored when loki\.authEnabled is false/ },
  { name: 'Promtail plus Alloy', files: { 'dev.yaml': BASE + 'logs:\n  collector: [alloy, promtail]\n' }, expect: /config\/dev\.yaml: logs\.collector: a list of 2 is not allowed; use one of "alloy", "promtail"/ },
  { name: 'Promtail without Loki', files: { 'dev.yaml': BASE + 'logs:\n  pipelines: [elastic]\n  collector: promtail\n' }, expect: /config\/dev\.yaml: logs\.collector: "promtail" only ships to Loki/ },
  { name: 'a pipeline listed twice', files: { 'dev.yaml': BASE + 'logs:\n  pipelines: [loki, loki]\n' }, expect: /config\/dev\.yaml: logs\.pipelines: a list of 2 lists a pipeline twice/ },
  { name: 'an absolute state path', files: { 'dev.yaml': BASE + 'backend:\n  type: local\n  path: /var/state/dev.tfstate\n' }, expect: /config\/dev\.yaml: backend\.path: "\/var\/state\/dev\.tfstate" must be a relative path/ },
  { name: 'a literal credential in a webhook URL', files: { 'dev.yaml': BASE + 'alertmanager:\n  receivers:\n    - {type: webhook, name: hook, url: "https://user:pass@hooks.example.com/x"}\n' }, expect: /^config\/dev\.yaml: alertmanager\.receivers\[0\]\.url: "https:\/\/\*\*\*@hooks\.example\.com\/x" looks like it carries a credential; put the URL in a Secret and use urlSecret instead(?![\s\S]*user:pass)/ },
  { name: 'a literal Slack URL instead of a Secret reference', files: { 'dev.yaml': BASE + 'alertmanager:\n  receivers:\n    - {type: slack, name: chat, apiUrl: "https://hooks.slack.com/services/T000/B000/XXXX", channel: "#a"}\n' }, expect: /^config\/dev\.yaml: alertmanager\.receivers\[0\]\.apiUrl: must reference an existing Secret, not hold the credential \(the value is not shown\)(?![\s\S]*hooks\.slack\.com)/ },
  // reserved namespaces: Terraform would own (and destroy) them; default-deny would cut system pods
  ...['default', 'kube-system', 'kube-public', 'kube-node-lease'].map((ns) => ({ name: `the reserved namespace ${ns}`, files: { 'dev.yaml': BASE + `namespace: ${ns}\n` }, expect: new RegExp(`config/dev\\.yaml: namespace: "${ns}" names a namespace reserved by Kubernetes: the stack creates and owns its namespace`) })),
  // credentials in any part of a URL; the value never appears in the message
  { name: 'an access_token query parameter in a webhook URL', files: { 'dev.yaml': BASE + 'alertmanager:\n  receivers:\n    - {type: webhook, name: hook, url: "https://hooks.example.com/x?access_token=s3cr3tvalue"}\n' }, expect: /^config\/dev\.yaml: alertmanager\.receivers\[0\]\.url: "https:\/\/hooks\.example\.com\/x\?access_token=\*\*\*" looks like it carries a credential; put the URL in a Secret and use urlSecret instead \(query parameter access_token would land in Terraform state and plan output\)(?![\s\S]*s3cr3tvalue)/ },
  { name: 'an apikey query parameter in a webhook URL', files: { 'dev.yaml': BASE + 'alertmanager:\n  receivers:\n    - {type: webhook, name: hook, url: "https://hooks.example.com/x?team=ml&apikey=s3cr3tvalue"}\n' }, expect: /alertmanager\.receivers\[0\]\.url: "https:\/\/hooks\.example\.com\/x\?team=ml&apikey=\*\*\*" looks like it carries a credential(?![\s\S]*s3cr3tvalue)/ },
  { name: 'a presigned signature in a webhook URL', files: { 'dev.yaml': BASE + 'alertmanager:\n  receivers:\n    - {type: webhook, name: hook, url: "https://bucket.example.com/hook?X-Amz-Signature=s3cr3tvalue&X-Amz-Expires=60"}\n' }, expect: /query parameter X-Amz-Signature would land in Terraform state(?![\s\S]*s3cr3tvalue)/ },
  { name: 'user information in an ACME directory URL', files: { 'dev.yaml': BASE + 'tls:\n  enabled: true\n  issuer:\n    kind: acme\n    server: "https://me:s3cr3tvalue@acme.example.com/directory"\n    email: a@example.com\n' }, expect: /config\/dev\.yaml: tls\.issuer\.server: "https:\/\/\*\*\*@acme\.example\.com\/directory" looks like it carries a credential(?![\s\S]*s3cr3tvalue)/ },
  { name: 'a secret in an S3-compatible endpoint', files: { 'dev.yaml': BASE + 'logs:\n  pipelines: [loki]\nloki:\n  deploymentMode: scalable\n  objectStorage:\n      backend: s3-compatible\n      endpoint: "https://minio.example.com:9000/?secret=s3cr3tvalue"\n      bucket: chunks\n      credentials: {type: keys, accessKeyId: {name: s3, key: id}, secretAccessKey: {name: s3, key: secret}}\n' }, expect: /loki\.objectStorage\.endpoint: ".*secret=\*\*\*" looks like it carries a credential(?![\s\S]*s3cr3tvalue)/ },
  // durations beyond what Go can hold; sizes and quantities beyond sane bounds
  { name: 'a retention of 300 years', files: { 'dev.yaml': BASE + 'retention:\n  prometheus:\n    time: 300y\n' }, expect: /config\/dev\.yaml: retention\.prometheus\.time: "300y" exceeds what Prometheus, Alertmanager and cert-manager can hold \(Go durations end at about 292 years, 2562047h\)/ },
  { name: 'an ILM age of 10^20 days', files: { 'dev.yaml': BASE + 'retention:\n  elasticsearch:\n    delete:\n      minAge: 100000000000000000000d\n' }, expect: /config\/dev\.yaml: retention\.elasticsearch\.delete\.minAge: "100000000000000000000d" exceeds what Prometheus/ },
  { name: 'a volume beyond 1 PiB', files: { 'dev.yaml': BASE + 'prometheus:\n  storage:\n    sizeGiB: 100000000000000000000\n' }, expect: /config\/dev\.yaml: prometheus\.storage\.sizeGiB: .*must be at most 1048576 \(1 PiB\)/ },
  { name: 'a memory quantity beyond 1 PiB', files: { 'dev.yaml': BASE + 'loki:\n  resources:\n    requests: {cpu: 500m, memory: 99999999Ti}\n    limits: {memory: 99999999Ti}\n' }, expect: /config\/dev\.yaml: loki\.resources\.requests\.memory: "99999999Ti" exceeds 1 PiB/ },
  { name: 'a CPU quantity beyond 10000 cores', files: { 'dev.yaml': BASE + 'loki:\n  resources:\n    requests: {cpu: "1000000", memory: 1Gi}\n    limits: {memory: 2Gi}\n' }, expect: /config\/dev\.yaml: loki\.resources\.requests\.cpu: "1000000" exceeds 10000 cores/ },
  // contradictions the API server or cert-manager would refuse later
  { name: 'a memory request above its limit', files: { 'dev.yaml': BASE + 'loki:\n  resources:\n    requests: {cpu: 500m, memory: 4Gi}\n    limits: {memory: 2Gi}\n' }, expect: /config\/dev\.yaml: loki\.resources\.requests\.memory: "4Gi" is above limits\.memory "2Gi"; a request may not exceed its limit/ },
  { name: 'a CPU request above its limit', files: { 'dev.yaml': BASE + 'loki:\n  resources:\n    requests: {cpu: "2", memory: 1Gi}\n    limits: {cpu: 1500m, memory: 2Gi}\n' }, expect: /config\/dev\.yaml: loki\.resources\.requests\.cpu: "2" is above limits\.cpu "1500m"/ },
  { name: 'renewBefore not shorter than the certificate duration', files: { 'dev.yaml': BASE + 'tls:\n  certificate:\n    duration: 720h\n    renewBefore: 720h\n' }, expect: /config\/dev\.yaml: tls\.certificate\.renewBefore: "720h" must be shorter than tls\.certificate\.duration "720h"/ },
  { name: 'a certificate duration under cert-manager\'s minimum', files: { 'dev.yaml': BASE + 'tls:\n  certificate:\n    duration: 30m\n    renewBefore: 10m\n' }, expect: /config\/dev\.yaml: tls\.certificate\.duration: "30m" is shorter than cert-manager's minimum certificate duration \(1h\)/ },
  { name: 'a renewBefore under cert-manager\'s minimum', files: { 'dev.yaml': BASE + 'tls:\n  certificate:\n    renewBefore: 1m\n' }, expect: /config\/dev\.yaml: tls\.certificate\.renewBefore: "1m" is shorter than cert-manager's minimum \(5m\)/ },
  // label keys per Kubernetes' length rules
  { name: 'a label key prefix longer than 253', files: { 'dev.yaml': BASE + `labels:\n  ${'a.'.repeat(127)}b/team: ml\n` }, expect: /config\/dev\.yaml: labels\[".*\/team"\]: ".*" has a prefix of 255 characters; a label key prefix is at most 253/ },
  { name: 'a label key prefix part longer than 63', files: { 'dev.yaml': BASE + `labels:\n  ${'a'.repeat(64)}.example.com/team: ml\n` }, expect: /has a prefix part of 64 characters .*each dot-separated part is at most 63/ },
  // names, duplicates, files
  { name: 'duplicate environment names', files: { 'dev.yaml': BASE, 'dev.yml': BASE }, expect: /config\/dev\.yml: defines environment "dev" again \(already defined by config\/dev\.yaml\)/ },
  { name: 'an environment name with upper case and underscore', files: { 'Prod_EU.yaml': BASE }, expect: /config\/Prod_EU\.yaml: the file name "Prod_EU" is not a valid environment name/ },
  { name: 'an environment name starting with a digit', files: { '1prod.yaml': BASE }, expect: /config\/1prod\.yaml: the file name "1prod" is not a valid environment name/ },
  { name: 'a namespace that is not a Kubernetes name', files: { 'dev.yaml': BASE + 'namespace: ML_Obs\n' }, expect: /config\/dev\.yaml: namespace: "ML_Obs" is not a valid Kubernetes name/ },
  { name: 'an invalid label value', files: { 'dev.yaml': BASE + 'labels:\n  team: "ml platform"\n' }, expect: /config\/dev\.yaml: labels\.team: "ml platform" is not a valid Kubernetes label value/ },
  { name: 'a huge file', files: { 'dev.yaml': BASE + `# ${'x'.repeat(300 * 1024)}\n` }, expect: /config\/dev\.yaml: is \d+ bytes; environment files are limited to 262144 bytes/ },
  { name: 'a YAML bomb with aliases', files: { 'dev.yaml': bomb }, expect: /config\/dev\.yaml: could not be read: .*aliases are limited to 50/ },
  { name: 'non-UTF-8 bytes', files: { 'dev.yaml': Buffer.concat([Buffer.from(BASE), Buffer.from([0x6e, 0x73, 0x3a, 0x20, 0xc3, 0x28, 0x0a])]) }, expect: /config\/dev\.yaml: is not valid UTF-8 text/ },
  { name: 'duplicate keys', files: { 'dev.yaml': BASE + 'namespace: a\nnamespace: b\n' }, expect: /config\/dev\.yaml: is not valid YAML: Map keys must be unique \(line \d+\)/ },
  { name: 'an empty config directory', files: {}, expect: /config: has no environment files/ },
  { name: 'one bad file among good ones blocks all', files: { 'dev.yaml': BASE, 'prod.yaml': BASE + 'gpu: {exporter: dcgm}\n' }, expect: /^config\/prod\.yaml: gpu\.exporter: "dcgm" is not allowed; use one of "bundled", "gpu-operator", "none"/m },
];

test(`the hostile-config table has at least 30 cases (${CASES.length})`, () => {
  assert.ok(CASES.length >= 30);
  assert.equal(new Set(CASES.map((c) => c.name)).size, CASES.length, 'case names are unique');
});

for (const c of CASES) {
  test(`hostile config: ${c.name}`, () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'mlobs-hostile-'));
    const configDir = path.join(root, 'config');
    fs.mkdirSync(configDir);
    for (const [f, content] of Object.entries(c.files)) fs.writeFileSync(path.join(configDir, f), content);
    const outParent = path.join(root, 'project');
    fs.mkdirSync(outParent);
    const cwd = process.cwd();
    process.chdir(root); // so messages name files as config/<file>
    try {
      assert.throws(
        () => synthesizeAll({ configDir, outdir: path.join(outParent, 'cdktf.out') }),
        (e: unknown) => {
          assert.ok(e instanceof ConfigError, `expected a ConfigError, got: ${String(e)}`);
          assert.match(e.message, c.expect);
          for (const line of e.message.split('\n')) assert.match(line, /^config(\/[^:]+)?: /, `every problem names its file: ${line}`);
          return true;
        },
      );
      assert.deepEqual(fs.readdirSync(outParent), [], 'nothing written: no cdktf.out, no temp directory');
    } finally {
      process.chdir(cwd);
      fs.rmSync(root, { recursive: true, force: true });
    }
  });
}
