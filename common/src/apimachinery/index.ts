// The apimachinery layer every component shares: quantities, IntOrString, label and field
// selectors, names, ObjectMeta validation, owner references, field errors and Status.
export * from './field-errors.ts';
export * from './field-selector.ts';
export * from './int-or-string.ts';
export * from './label-selector.ts';
export * from './local-path.ts';
export * from './names.ts';
export * from './node-selector.ts';
export * from './object-meta.ts';
export * from './owner-references.ts';
export * from './quantity.ts';
export * from './status.ts';
export * from './taints.ts';
