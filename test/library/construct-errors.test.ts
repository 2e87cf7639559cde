/**
 * Errors of constructs speak the caller's vocabulary: the construct path and the prop, and what
 * to pass instead (config errors keep their file/field/fix form, tested in test/config/).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Testing, TerraformStack } from 'cdktf';
import { parseEnvironment } from '../../config/load';
import { commonConfigFor } from '../../stacks/environment-props';
import { commonConfig } from '../../constructs/core/common';
import { CustomResourceChart } from '../../constructs/core/custom-resource-chart';
import { ElasticPipeline } from '../../constructs/elastic/elastic-pipeline';
import { Loki } from '../../constructs/loki/loki';
import { Tls } from '../../constructs/tls/tls';
import { MINIMAL_INPUT } from '../helpers/synth';

function scope(): { stack: TerraformStack; resources: CustomResourceChart } {
  const stack = new TerraformStack(Testing.app(), 'team');
  return { stack, resources: new CustomResourceChart(stack, 'resources', { namespace: 'mlobs' }) };
}

test('ElasticPipeline with httpCertificate "issuer" and no tls prop names its path, the props and both ways out', () => {
  const { stack, resources } = scope();
  assert.throws(
    () => new ElasticPipeline(stack, 'logs', { common: commonConfig({ environment: 't' }), elasticsearch: { httpCertificate: 'issuer' }, resources }),
    /^Error: team\/logs\/elasticsearch: props\.elasticsearch\.httpCertificate is "issuer" but props\.tls is not set; pass tls: <the Tls component>, or set httpCertificate: 'eck'/,
  );
});

test('Tls without an issuer and a mixed certificate request name the construct path and the prop', () => {
  const env = parseEnvironment('t', { ...MINIMAL_INPUT, tls: { enabled: true, issuer: { kind: 'selfSigned' } } });
  const { stack, resources } = scope();
  const common = commonConfigFor('t', env.settings);
  const noIssuer = { common, resources } as unknown as ConstructorParameters<typeof Tls>[2];
  assert.throws(() => new Tls(stack, 'tls', noIssuer), /^Error: team\/tls: props\.issuer is required/);
  // With ACME, in-cluster names come from the private CA: one certificate cannot mix both.
  const acme = parseEnvironment('t', { ...MINIMAL_INPUT, tls: { enabled: true, issuer: { kind: 'acme', server: 'https://acme.example.com/directory', email: 'ops@example.com' } } });
  assert.ok(acme.settings.tls.issuer);
  const tls = new Tls(stack, 'tls2', { common, issuer: acme.settings.tls.issuer, certManager: acme.settings.certManager, resources });
  assert.throws(() => tls.certificateFor({ name: 'x', dnsNames: ['a.mlobs.svc', 'a.example.com'] }), /^Error: team\/tls2: certificateFor: certificate "x": mixes in-cluster names/);
});

test('Loki valuesOverrides that switch retention off name the construct path and the prop', () => {
  const env = parseEnvironment('t', { ...MINIMAL_INPUT, logs: { pipelines: ['loki'] } });
  const { stack } = scope();
  assert.throws(
    () =>
      new Loki(stack, 'loki', {
        common: commonConfigFor('t', env.settings),
        loki: { ...env.settings.loki, retentionPeriod: env.settings.retention.loki.period },
        valuesOverrides: { loki: { compactor: { retention_enabled: false } } },
      }),
    /^Error: team\/loki: props\.valuesOverrides switch off compactor retention/,
  );
});
