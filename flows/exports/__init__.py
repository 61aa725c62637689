"""Exports of a flow's reviewed loops, for retraining: dataset -> formatters -> writer.

* ``dataset``: reads the flow's Completed loops and their answers in keyset batches (constant
  memory, resumable after any loop), as plain records holding the stored JSON *texts*;
* ``formatters``: pure functions from records to lines (JSONL, CSV, SageMaker Ground Truth
  augmented manifest) or to the pieces of one COCO document;
* ``writer``: joins the pieces into byte chunks for a streaming HTTP response or a file.

doccano's export pipeline has the same three stages but loads the whole project into one table;
here every stage is a generator, so an export of a million loops runs in the memory of one batch.
"""

from __future__ import annotations

FORMATS = ("jsonl", "csv", "manifest", "coco")
