import { app } from '@azure/functions';

import { getRuntime } from './runtime';

app.setup({ enableHttpStream: false });

// Validate every setting when the worker loads the app: a bad value stops start-up with a message that names it,
// instead of failing on the first event. Outside the Functions host (tests, tools) importing this file is not done.
for (const warning of getRuntime().validate()) console.warn(`mfa-fatigue-responder: ${warning}`);
