#!/usr/bin/env node
// The CLI compiled by `npm run build` (run by npm install through `prepare`): no TypeScript loader at run time,
// which halves start-up time. During development, `npm run dev` runs the sources with tsx instead.
import '../build/broker/cli.js'
