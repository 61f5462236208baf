// A settings section's save, as every section shows it: its button disabled while
// core answers, then "Saved", or core's refusal (kept until a save goes through).
// SaveRow.svelte shows it.

import { ApiError } from '../lib/api';

export class SectionSave {
  saving = $state(false);
  saved = $state(false);
  error = $state<ApiError | null>(null);

  /** Runs one save; what it throws is the refusal to show. */
  async run(save: () => Promise<void>): Promise<void> {
    this.saving = true;
    this.saved = false;
    try {
      await save();
      this.error = null;
      this.saved = true;
    } catch (err) {
      this.error = ApiError.from(err);
    } finally {
      this.saving = false;
    }
  }

  /** A refusal without a save: the section's own check, or its settings not loaded. */
  refuse(err: unknown): void {
    this.saved = false;
    this.error = ApiError.from(err);
  }
}
