/** Outrigger's version, reported by the metadata API and `outrigger --version`. */
export const runtimeVersion = '0.1.0';
