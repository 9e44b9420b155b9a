/** Prints the dashboard's size gzipped, file by file, and fails when the whole is 100 KiB or more. */
import { findDashboardDir, loadDashboardFiles } from '../broker/dashboard-assets.js'

export const DASHBOARD_BUDGET_BYTES = 100 * 1024

const files = loadDashboardFiles(findDashboardDir()!)
let raw = 0
let gzipped = 0
for (const [path, asset] of files) {
  raw += asset.body.byteLength
  gzipped += asset.gzip!.byteLength
  console.log(`${String(asset.gzip!.byteLength).padStart(7)}  ${path}`)
}
console.log(
  `${String(gzipped).padStart(7)}  total gzipped (${(gzipped / 1024).toFixed(1)} KiB; ${(raw / 1024).toFixed(1)} KiB raw, ${files.size} files; budget ${DASHBOARD_BUDGET_BYTES / 1024} KiB)`,
)
if (gzipped >= DASHBOARD_BUDGET_BYTES) {
  console.error('the dashboard is over its budget')
  process.exit(1)
}
