#!/usr/bin/env node
// Entry point of `npx qujat …`: runs server/cli.ts through tsx.
import { register } from "tsx/esm/api";
register();
await import("../server/cli.ts");
