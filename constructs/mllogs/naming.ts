/**
 * Names of intermediate captures, shared by every compiler and the engine so that each
 * format's and extractor's captures stay apart until they are merged by priority.
 */
import type { EventRule, FieldExtractor, LineFormat } from './types';

/** Prefix of a format's captures, e.g. `torch_glog__level`. */
export function formatPrefix(f: Pick<LineFormat, 'id'>): string {
  return `${f.id}__`;
}

/** Prefix of an extractor's captures, e.g. `x_loss__loss`. */
export function extractorPrefix(x: Pick<FieldExtractor, 'id'>): string {
  return `x_${x.id}__`;
}

/** Name of the marker capture wrapping a whole format/extractor match (Alloy/Promtail). */
export function markerName(prefix: string): string {
  return `${prefix}m`;
}

/** Name of the key holding a match's first ASCII character, from which an extractor's control label is set (Alloy/Promtail). */
export function markName(prefix: string): string {
  return `${prefix}mark`;
}

/** Name of an event rule's capture (Alloy/Promtail). */
export function eventRuleCapture(r: Pick<EventRule, 'id'>): string {
  return `ev_${r.id}`;
}
