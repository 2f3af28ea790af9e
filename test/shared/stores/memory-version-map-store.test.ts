import { MemoryVersionMapStore } from '../../../shared/stores/memory-version-map-store.js';
import { versionMapStoreContract } from './version-map-store-contract.js';

versionMapStoreContract('memory', async () => {
  const store = new MemoryVersionMapStore();
  return () => store;
});
