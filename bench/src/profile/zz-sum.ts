import { summariseProfile } from '/work/main/bench/src/profile/profile-summary.ts';
import { readdirSync } from 'node:fs';
const dir = process.argv[2]!;
console.log(summariseProfile(dir + '/' + readdirSync(dir).find((f) => f.endsWith('.cpuprofile')), 40));
