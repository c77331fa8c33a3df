import type { z } from 'zod';
import type { EventSource } from './event-source.ts';

/**
 * One kind of event in the catalogue: who writes it, what its subject names, the schema of its
 * data, and an example (rendered by the summary test, listed in docs/journal.md).
 */
export interface CatalogueEntry<S extends z.ZodType = z.ZodType, Src extends EventSource = EventSource> {
  /** The sources that write it; the journal refuses it from any other. */
  sources: readonly Src[];
  /** What `subject` names. */
  subject: string;
  /** What happened, in a few words (docs/journal.md). */
  about: string;
  /**
   * Its data. Top-level objects are strict (a field the catalogue does not list is a mismatch);
   * nested evidence (the gate's and judge's figures) lists what readers use and tolerates more.
   */
  data: S;
  example: { source: Src; subject: string; actor: string; data: z.input<S> };
}

/** Types an entry: `sources` keep their literal values, and the example is checked against the schema. */
export function defineEntry<S extends z.ZodType, const Src extends EventSource>(entry: CatalogueEntry<S, Src>): CatalogueEntry<S, Src> {
  return entry;
}
