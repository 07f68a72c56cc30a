/**
 * Evidence fields that a later step reads back (the alert), written once: AWS's quarantine call
 * that names no key says which key was inferred, or which keys are the candidates.
 */

/** `"true"` when the key was inferred: the record named none and it was the user's only Active key. */
export const KEY_INFERRED = "keyInferred";
/** The user's keys, comma-separated, when the record named none and more than one could be the leaked one. */
export const CANDIDATE_KEYS = "candidateKeys";
