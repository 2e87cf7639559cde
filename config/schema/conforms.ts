/**
 * Components own their props types (constructs/<component>/settings.ts); the schema produces
 * values for them. `Conforms<Output, Settings>` fails to compile when a schema's output no longer
 * fits its component's settings type, so the two cannot drift.
 */
export type Conforms<Output extends Settings, Settings> = Output;
