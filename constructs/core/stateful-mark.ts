import type { TerraformResource } from 'cdktf';
import { STATEFUL_KEY } from './stateful';

/** Declares that `resource` holds data (see ./stateful.ts); the reason reaches the synthesized JSON. */
export function markStateful(resource: TerraformResource, reason: string): void {
  resource.addOverride(`//.${STATEFUL_KEY}`, reason);
}
