import { app } from '@azure/functions';
import { appInfo } from '../app-info';

/** Which version of the app answered: useful behind durable-router, which runs several at once. */
app.http('version', {
  route: 'version',
  methods: ['GET'],
  handler: async () => ({ jsonBody: appInfo }),
});
