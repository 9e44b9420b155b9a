#!/usr/bin/env node
// The CLI as `npm run build` bundled it (run by npm install through `prepare`): no TypeScript loader and no module
// resolution at run time, which is most of start-up. During development, `npm run dev` runs the sources with tsx.
// The young generation is held before the CLI's modules load: they are most of what start-up allocates.
import { holdYoungGeneration } from '../build/bundle/young-generation.js'

holdYoungGeneration()
await import('../build/bundle/cli.js')
