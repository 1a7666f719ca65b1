/**
 * Accelerator model names as sites and users write them. A node label says `NVIDIA-H100-80GB-HBM3`, a topology file
 * `NVIDIA H100 80GB HBM3`, a user `H100`; the API documents the match (AcceleratorRequest.model,
 * AcceleratorPrice.model) as case-insensitive, ignoring spaces, "-" and "_".
 */

/** normaliseModel returns the form two model names are compared in. */
export function normaliseModel(model: string): string {
  return model.toLowerCase().replace(/[\s_-]/g, '');
}

/** modelMatches says whether a requested model (empty: any) is a substring of a pool's reported model. */
export function modelMatches(wanted: string | undefined, reported: string): boolean {
  if (wanted === undefined || wanted === '') return true;
  return normaliseModel(reported).includes(normaliseModel(wanted));
}
