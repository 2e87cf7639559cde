import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isBuiltinKind, validateBuiltinObject } from '../helpers/builtin-contract';

test('built-in objects validate against the Kubernetes API schema, and a wrong type or missing field fails', () => {
  const job = { apiVersion: 'batch/v1', kind: 'Job', metadata: { name: 'x' }, spec: { template: { spec: { restartPolicy: 'Never', containers: [{ name: 'a', image: 'b' }] } } } };
  assert.deepEqual(validateBuiltinObject(job), []);
  const bad = { ...job, spec: { backoffLimit: '20', template: { spec: { containers: [{ image: 'b' }] } } } };
  const errors = validateBuiltinObject(bad);
  assert.equal(errors.length, 1);
  assert.match(errors[0] ?? '', /Job "x" \(batch\/v1\): .*spec\/backoffLimit must be integer.*must have required property name/);
  assert.equal(isBuiltinKind('v1', 'ConfigMap'), true);
  assert.equal(isBuiltinKind('monitoring.coreos.com/v1', 'PrometheusRule'), false);
});
