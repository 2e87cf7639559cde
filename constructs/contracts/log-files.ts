/**
 * Log files written inside pods (`/workspace/logs/*.log`, `lightning_logs/`, a framework's own
 * log file), collected by both pipelines with the same catalog, multiline and labels as stdout.
 *
 * The convention (README "Log files inside pods"): a pod that wants its files collected
 * 1. writes them into an `emptyDir` volume named {@link LogFilesSettings.volume} (default
 *    `mlobs-logs`) mounted at {@link LogFilesSettings.mountPath} (default `/workspace/logs`), and
 * 2. names the container that writes them in the annotation {@link LOG_FILES_CONTAINER_ANNOTATION}
 *    (the lines get that container's labels, and a pod with sidecars is read once, not per container).
 * The collectors reach the volume on the node at
 * `<kubeletRootDir>/pods/<pod uid>/volumes/kubernetes.io~empty-dir/<volume>/`, through a read-only
 * hostPath of `<kubeletRootDir>/pods`. Only emptyDir volumes have a path the collector can derive
 * from the pod alone (a PVC's path holds the PV's name). Pure data and checks: no cdktf.
 */
import { DNS_1123_LABEL } from '../core/common';

/** The annotation naming the container whose files are collected (opt-in per pod). */
export const LOG_FILES_CONTAINER_ANNOTATION = 'logs.mlobs.dev/container';

/** The meta label Kubernetes service discovery gives that annotation (Prometheus' sanitised name). */
export const FILES_ANNOTATION_META_LABEL = `__meta_kubernetes_pod_annotation_${LOG_FILES_CONTAINER_ANNOTATION.replace(/[^A-Za-z0-9_]/g, '_')}`;

export interface LogFilesSettings {
  /** Collect log files from pods that opt in. */
  readonly enabled: boolean;
  /** Name of the pods' emptyDir volume holding the files. */
  readonly volume: string;
  /** Where the pods mount that volume: every glob is below it. */
  readonly mountPath: string;
  /** Globs of the files, as paths inside the pod (below mountPath; `*`, `?`, `**` allowed). */
  readonly globs: readonly string[];
  /** The kubelet's root directory on the nodes. */
  readonly kubeletRootDir: string;
}

/** Off by default: it mounts the kubelet's pod directory into the collectors (README "Security"). */
export const DEFAULT_LOG_FILES: LogFilesSettings = {
  enabled: false,
  volume: 'mlobs-logs',
  mountPath: '/workspace/logs',
  globs: ['/workspace/logs/**/*.log'],
  kubeletRootDir: '/var/lib/kubelet',
};

/** Filebeat's logs_path matcher finds a pod uid only below this directory (beats add_kubernetes_metadata/matchers.go). */
export const FILEBEAT_KUBELET_PODS_DIR = '/var/lib/kubelet/pods';

/** Most globs per environment (each is one more pattern per opted-in pod on every node). */
export const MAX_LOG_FILE_GLOBS = 8;

/** Directories a mount path may not be or lie under: system paths, never where a job writes its logs. */
export const FORBIDDEN_LOG_ROOTS = ['/proc', '/sys', '/dev', '/etc', '/run', '/var/run', '/bin', '/sbin', '/lib', '/lib64', '/usr', '/boot', '/root', '/var/lib/kubelet'] as const;

const VOLUME = DNS_1123_LABEL;
/** Path segments: letters, digits, `._-`, and the glob characters `*` and `?`. */
const SEGMENT = /^[A-Za-z0-9._*?-]+$/;

export interface LogFilesProblem {
  readonly path: readonly (string | number)[];
  readonly message: string;
}

const under = (p: string, root: string): boolean => p === root || p.startsWith(`${root}/`);

function absoluteProblem(p: string, what: string): string | undefined {
  if (!p.startsWith('/')) return `${what} ${JSON.stringify(p)} must be an absolute path`;
  if (p !== '/' && p.endsWith('/')) return `${what} ${JSON.stringify(p)} must not end with "/"`;
  const segs = p.split('/').slice(1);
  if (segs.some((s) => s === '' || s === '.' || s === '..')) return `${what} ${JSON.stringify(p)} must be normalised (no "//", "." or "..")`;
  return undefined;
}

/** What is wrong with the settings (empty when nothing is). */
export function logFilesProblems(s: LogFilesSettings): LogFilesProblem[] {
  const out: LogFilesProblem[] = [];
  if (!VOLUME.test(s.volume)) out.push({ path: ['volume'], message: `"${s.volume}" is not a volume name (DNS-1123 label: lowercase letters, digits, dashes, at most 63)` });
  const mountProblem = s.mountPath === '/' ? 'must not be "/"' : absoluteProblem(s.mountPath, 'mountPath');
  if (mountProblem) out.push({ path: ['mountPath'], message: mountProblem });
  else {
    const root = FORBIDDEN_LOG_ROOTS.find((r) => under(s.mountPath, r));
    if (root) out.push({ path: ['mountPath'], message: `"${s.mountPath}" is under ${root}; allowed roots: any directory outside ${FORBIDDEN_LOG_ROOTS.join(', ')}` });
    if (/[*?]/.test(s.mountPath)) out.push({ path: ['mountPath'], message: `"${s.mountPath}" must not hold glob characters` });
  }
  const kubelet = absoluteProblem(s.kubeletRootDir, 'kubeletRootDir');
  if (kubelet) out.push({ path: ['kubeletRootDir'], message: kubelet });
  if (s.globs.length === 0) out.push({ path: ['globs'], message: 'at least one glob (for example /workspace/logs/*.log)' });
  if (s.globs.length > MAX_LOG_FILE_GLOBS) out.push({ path: ['globs'], message: `at most ${MAX_LOG_FILE_GLOBS} globs (${s.globs.length} given)` });
  s.globs.forEach((g, i) => {
    const abs = absoluteProblem(g, 'glob');
    if (abs) return out.push({ path: ['globs', i], message: abs });
    if (!mountProblem && !under(g, s.mountPath)) {
      return out.push({ path: ['globs', i], message: `"${g}" is outside the allowed root ${s.mountPath} (mountPath: the volume's mount point in the pod)` });
    }
    const rel = g.slice(s.mountPath.length + 1);
    if (rel === '') return out.push({ path: ['globs', i], message: `"${g}" names the mount point itself; add a file pattern (${s.mountPath}/*.log)` });
    const bad = rel.split('/').find((seg) => !SEGMENT.test(seg) || (seg.includes('**') && seg !== '**'));
    if (bad !== undefined) return out.push({ path: ['globs', i], message: `"${g}": segment "${bad}" may hold letters, digits, "._-", "*" and "?" ("**" only as a whole segment)` });
    const file = rel.split('/').at(-1) ?? '';
    if (file === '**') return out.push({ path: ['globs', i], message: `"${g}" must end with a file pattern, not "**"` });
    if (!file.includes('.log')) return out.push({ path: ['globs', i], message: `"${g}": the file pattern must hold ".log" (Filebeat attributes only such files to their pod), e.g. *.log` });
    return undefined;
  });
  return out;
}

/** The settings, checked (throws naming `where` and the field). */
export function checkLogFiles(s: LogFilesSettings, where: string): LogFilesSettings {
  const problems = logFilesProblems(s);
  if (problems.length > 0) throw new Error(`${where}: ${problems.map((p) => `${p.path.join('.')}: ${p.message}`).join('; ')}`);
  return s;
}

/** The globs relative to the volume's root. */
export function relativeGlobs(s: LogFilesSettings): string[] {
  return s.globs.map((g) => g.slice(s.mountPath.length + 1));
}

/** The volume's directory on the node for a pod uid (or a glob standing for every uid). */
export function volumeDirOnNode(s: LogFilesSettings, uid: string): string {
  return `${s.kubeletRootDir}/pods/${uid}/volumes/kubernetes.io~empty-dir/${s.volume}`;
}

/** The kubelet's pod directory the collectors mount read-only. */
export function kubeletPodsDir(s: LogFilesSettings): string {
  return `${s.kubeletRootDir}/pods`;
}

/** One doublestar path for a pod (Alloy's local.file_match and Promtail: `{a,b}` alternatives). */
export function doublestarPath(s: LogFilesSettings, uid: string): string {
  const rel = relativeGlobs(s);
  return `${volumeDirOnNode(s, uid)}/${rel.length === 1 ? rel[0] : `{${rel.join(',')}}`}`;
}
