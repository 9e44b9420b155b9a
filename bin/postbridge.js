#!/usr/bin/env node
// The CLI as `npm run build` bundled it (run by npm install through `prepare`): no TypeScript loader and no module
// resolution at run time, which is most of start-up. During development, `npm run dev` runs the sources with tsx.
// V8 is held back (young generation growth, the optimising compiler) before the CLI's modules load: they are most of
// what start-up allocates and runs. `start` gives the young generation back once ready and the compiler once busy
// (broker/v8-hold.ts); every other command gives both back at once.
import { holdDuringStartUp } from '../build/bundle/v8-hold.js'

holdDuringStartUp()
await import('../build/bundle/cli.js')
