// The official client hands time fields back as Dates; written back as they are they would
// become millisecond strings, where metav1.Time is RFC 3339 in whole seconds. The result is
// typed as the client's field type (Date) because it goes straight back into its objects.
export function wireTime(v: Date | string | undefined): Date | undefined {
  return (v instanceof Date ? v.toISOString().replace(/\.\d{3}Z$/, 'Z') : v) as Date | undefined;
}
