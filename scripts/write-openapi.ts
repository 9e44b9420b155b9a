/** Regenerates openapi.yaml from the route schemas: `npm run openapi`. */
import { writeFileSync } from 'node:fs'
import { openApiYaml } from '../src/openapi.js'

writeFileSync(new URL('../openapi.yaml', import.meta.url), await openApiYaml())
process.stdout.write('openapi.yaml written\n')
