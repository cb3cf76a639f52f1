// What the scheduler knows of storage: claims, volumes and classes, kept by informers
// (informers.ts) for the VolumeBinding plugin. Empty until wired: a scheduler without them
// treats every claim as missing, which is why wireInformers always feeds it.
import type { V1PersistentVolume, V1PersistentVolumeClaim, V1StorageClass } from '@kubernetes/client-node';

export interface VolumeLookup {
  claim(namespace: string, name: string): V1PersistentVolumeClaim | undefined;
  volume(name: string): V1PersistentVolume | undefined;
  volumes(): Iterable<V1PersistentVolume>;
  storageClass(name: string): V1StorageClass | undefined;
}

export class VolumeView implements VolumeLookup {
  private readonly claims = new Map<string, V1PersistentVolumeClaim>();
  private readonly pvs = new Map<string, V1PersistentVolume>();
  private readonly classes = new Map<string, V1StorageClass>();

  claim(namespace: string, name: string): V1PersistentVolumeClaim | undefined {
    return this.claims.get(`${namespace}/${name}`);
  }
  volume(name: string): V1PersistentVolume | undefined {
    return this.pvs.get(name);
  }
  volumes(): Iterable<V1PersistentVolume> {
    return this.pvs.values();
  }
  storageClass(name: string): V1StorageClass | undefined {
    return this.classes.get(name);
  }

  setClaim = (c: V1PersistentVolumeClaim): void => void this.claims.set(`${c.metadata?.namespace}/${c.metadata?.name}`, c);
  removeClaim = (c: V1PersistentVolumeClaim): void => void this.claims.delete(`${c.metadata?.namespace}/${c.metadata?.name}`);
  setVolume = (v: V1PersistentVolume): void => void this.pvs.set(v.metadata?.name ?? '', v);
  removeVolume = (v: V1PersistentVolume): void => void this.pvs.delete(v.metadata?.name ?? '');
  setClass = (c: V1StorageClass): void => void this.classes.set(c.metadata?.name ?? '', c);
  removeClass = (c: V1StorageClass): void => void this.classes.delete(c.metadata?.name ?? '');
}
