/** Regenerates docs/errors.md from the error catalog in src/errors.ts: `npm run docs:errors`. */
import { writeFileSync } from 'node:fs'
import { errorsMarkdown } from '../src/docs/errors-table.js'

writeFileSync(new URL('../docs/errors.md', import.meta.url), errorsMarkdown())
process.stdout.write('docs/errors.md written\n')
