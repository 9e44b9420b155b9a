/** One file of the dashboard, held in memory (the whole dashboard is under 100 KiB gzipped). */
export interface DashboardAsset {
  body: Uint8Array
  /** The same bytes gzipped, sent to browsers that accept gzip. */
  gzip?: Uint8Array
  contentType: string
}

/** The dashboard's files by path: `index.html` (served at `/`) and `ui/...` (served at `/ui/...`). */
export interface DashboardAssets {
  /** May be async: at the edge the files would come from a binding. */
  get(path: string): DashboardAsset | undefined | Promise<DashboardAsset | undefined>
}
