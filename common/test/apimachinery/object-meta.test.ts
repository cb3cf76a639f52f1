import { expect } from 'chai';
import { fieldErrorMessage, type FieldError } from '@skiff/common/apimachinery/field-errors';
import { checkDns1123Label, checkDns1123Subdomain, checkQualifiedName, nameIsDnsSubdomain } from '@skiff/common/apimachinery/names';
import { validateLabelSelector, validateObjectMeta, validateObjectMetaFields } from '@skiff/common/apimachinery/object-meta';
import { controllerOf, isControlledBy, newControllerRef } from '@skiff/common/apimachinery/owner-references';
import { parseIntOrPercent, scaledValue } from '@skiff/common/apimachinery/int-or-string';
import { ApiError } from '@skiff/common/apimachinery/status';

const messages = (errs: FieldError[]) => errs.map(fieldErrorMessage);
const rules = { namespaced: true, validateName: nameIsDnsSubdomain };

describe('apimachinery: names', () => {
  it('words DNS-1123 and qualified-name problems as Kubernetes', () => {
    expect(checkDns1123Label('My_Name')[0]).to.equal(
      "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')",
    );
    expect(checkDns1123Subdomain('a'.repeat(254))).to.include('must be no more than 253 characters');
    expect(checkQualifiedName('example.com/My.Name')).to.deep.equal([]);
  });
});

describe('apimachinery: ObjectMeta', () => {
  it('validates names, labels, annotations, owner references, finalizers and managed fields', () => {
    const m = messages(
      validateObjectMeta(
        {
          name: 'Bad_Name',
          namespace: 'default',
          generation: -1,
          labels: { 'a/b/c': 'x' },
          annotations: { k: 'x'.repeat(256 * 1024) },
          ownerReferences: [{ apiVersion: 'v1', kind: 'Event', name: 'e', uid: 'u' }],
          finalizers: ['example.com/ok', 'custom'],
          managedFields: [{ manager: 'kubectl\u0007', operation: 'Patch', fieldsType: 'FieldsV2' }],
        },
        rules,
      ),
    );
    expect(m[0]).to.match(/^metadata\.name: Invalid value: "Bad_Name": a lowercase RFC 1123 subdomain/);
    expect(m).to.include('metadata.generation: Invalid value: -1: must be greater than or equal to 0');
    expect(m.some((x) => x.startsWith('metadata.labels: Invalid value: "a/b/c": a qualified name must consist'))).to.equal(true);
    expect(m).to.include('metadata.annotations: Too long: must have at most 262144 bytes');
    expect(m.some((x) => x.endsWith('/v1, Kind=Event is disallowed from being an owner'))).to.equal(true);
    expect(m).to.include('metadata.finalizers[1]: Invalid value: "custom": name is neither a standard finalizer name nor is it fully qualified');
    expect(m).to.include('metadata.managedFields[0].operation: Invalid value: "Patch": must be `Apply` or `Update`');
    expect(m).to.include('metadata.managedFields[0].fieldsType: Invalid value: "FieldsV2": must be `FieldsV1`');
    expect(m).to.include('metadata.managedFields[0].manager: Invalid value: "kubectl\\u0007": invalid character U+0007 (at position 7)');
  });

  it('accepts a well-formed object and lets generateName end in a dash', () => {
    expect(validateObjectMeta({ generateName: 'web-', namespace: 'default', finalizers: ['kubernetes'] }, rules)).to.deep.equal([]);
    expect(validateObjectMetaFields({ managedFields: [{ manager: 'kubectl', operation: 'Apply', fieldsType: 'FieldsV1' }] })).to.deep.equal([]);
  });

  it('reports a second controller reference and both deletion finalizers', () => {
    const m = messages(
      validateObjectMetaFields({
        ownerReferences: [
          { apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'a', uid: '1', controller: true },
          { apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'b', uid: '2', controller: true },
        ],
        finalizers: ['orphan', 'foregroundDeletion'],
      }),
    );
    expect(m.some((x) => x.includes('Found "true" in references for ReplicaSet/a and ReplicaSet/b'))).to.equal(true);
    expect(m.some((x) => x.endsWith('finalizer orphan and foregroundDeletion cannot be both set'))).to.equal(true);
  });

  it('validates metav1.LabelSelector', () => {
    expect(
      messages(validateLabelSelector({ matchLabels: { a: '-x' }, matchExpressions: [{ key: 'b', operator: 'In', values: ['ok', '-no'] }] }, 'spec.selector')),
    ).to.have.length(2);
  });
});

describe('apimachinery: owner references, IntOrString, Status', () => {
  it('finds and builds controller references', () => {
    const ref = newControllerRef({ metadata: { name: 'rs', uid: 'u1' } }, 'apps/v1', 'ReplicaSet');
    expect(ref).to.deep.equal({ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'rs', uid: 'u1', controller: true, blockOwnerDeletion: true });
    expect(controllerOf({ ownerReferences: [ref] })).to.equal(ref);
    expect(isControlledBy({ ownerReferences: [ref] }, 'u1')).to.equal(true);
    expect(isControlledBy({ ownerReferences: [ref] }, 'u2')).to.equal(false);
  });

  it('scales IntOrString values', () => {
    expect(scaledValue('25%', 10, true)).to.equal(3);
    expect(scaledValue('25%', 10, false)).to.equal(2);
    expect(scaledValue(4, 10, false)).to.equal(4);
    expect(parseIntOrPercent('x%')).to.equal(undefined);
    expect(parseIntOrPercent(1.5)).to.equal(undefined);
    expect(() => scaledValue('x', 10, true)).to.throw('invalid value for IntOrString: invalid type: string is not a percentage');
  });

  it('turns an ApiError into a Status', () => {
    expect(new ApiError(404, 'NotFound', 'pods "x" not found', { name: 'x', kind: 'pods' }).toStatus()).to.deep.equal({
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: 'pods "x" not found',
      reason: 'NotFound',
      code: 404,
      details: { name: 'x', kind: 'pods' },
    });
  });
});
