#!/usr/bin/env node
import { runCli } from './cli';

// The `mediagen` command (package.json `bin`). A client of the service: it reads MEDIAGEN_URL and
// MEDIAGEN_API_KEY itself, not the service's settings.
runCli(process.argv.slice(2), {
  env: process.env,
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
  interactive: process.stderr.isTTY === true,
}).then((code) => {
  process.exitCode = code;
});
