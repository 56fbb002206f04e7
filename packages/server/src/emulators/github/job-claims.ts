/**
 * The claim set GitHub Actions puts in a job's OIDC token. Numeric IDs are strings, and `sub`
 * follows GitHub's default template (environment, pull_request, or ref).
 */
import { randomBytes, randomInt } from 'node:crypto';
import type { JWTPayload } from 'jose';

export interface GitHubJobOptions {
  /** `owner/repo`. */
  repository: string;
  repositoryId?: string;
  repositoryOwnerId?: string;
  repositoryVisibility?: 'public' | 'private' | 'internal';
  /** Default `refs/heads/main`. */
  ref?: string;
  sha?: string;
  /** Workflow name; default `CI`. */
  workflow?: string;
  /** Workflow file path in the repository; default `.github/workflows/ci.yml`. */
  workflowPath?: string;
  actor?: string;
  actorId?: string;
  /** Default `push`. */
  eventName?: string;
  environment?: string;
  headRef?: string;
  baseRef?: string;
  runId?: string;
  runNumber?: string;
  runAttempt?: string;
  /** Reusable workflow reference; defaults to the calling workflow's own ref. */
  jobWorkflowRef?: string;
  runnerEnvironment?: 'github-hosted' | 'self-hosted';
  enterprise?: string;
  enterpriseId?: string;
  /** Overrides the default `sub` template (orgs/repos can customise it). */
  subject?: string;
  /** Extra claims merged last (e.g. custom ones). */
  extraClaims?: Readonly<Record<string, unknown>>;
}

const REPOSITORY = /^[A-Za-z0-9-]{1,39}\/[A-Za-z0-9._-]{1,100}$/;

function numericId(): string {
  return String(randomInt(1, 2 ** 31));
}

function subjectFor(repository: string, job: GitHubJobOptions, ref: string, eventName: string): string {
  if (job.subject !== undefined) return job.subject;
  if (job.environment !== undefined) return `repo:${repository}:environment:${job.environment}`;
  if (eventName === 'pull_request') return `repo:${repository}:pull_request`;
  return `repo:${repository}:ref:${ref}`;
}

/** Job-specific claims; `iss`, `aud`, times and `jti` are added per token. */
export function jobClaims(job: GitHubJobOptions): JWTPayload {
  if (!REPOSITORY.test(job.repository)) throw new TypeError('repository must look like owner/repo');
  const [owner = ''] = job.repository.split('/');
  const ref = job.ref ?? 'refs/heads/main';
  const eventName = job.eventName ?? 'push';
  const sha = job.sha ?? randomBytes(20).toString('hex');
  const workflowPath = job.workflowPath ?? '.github/workflows/ci.yml';
  const workflowRef = `${job.repository}/${workflowPath}@${ref}`;
  return {
    sub: subjectFor(job.repository, job, ref, eventName),
    ref,
    ref_type: ref.startsWith('refs/tags/') ? 'tag' : 'branch',
    sha,
    repository: job.repository,
    repository_id: job.repositoryId ?? numericId(),
    repository_owner: owner,
    repository_owner_id: job.repositoryOwnerId ?? numericId(),
    repository_visibility: job.repositoryVisibility ?? 'private',
    actor: job.actor ?? 'octocat',
    actor_id: job.actorId ?? numericId(),
    run_id: job.runId ?? numericId(),
    run_number: job.runNumber ?? '1',
    run_attempt: job.runAttempt ?? '1',
    runner_environment: job.runnerEnvironment ?? 'github-hosted',
    workflow: job.workflow ?? 'CI',
    workflow_ref: workflowRef,
    workflow_sha: sha,
    job_workflow_ref: job.jobWorkflowRef ?? workflowRef,
    job_workflow_sha: sha,
    event_name: eventName,
    head_ref: job.headRef ?? '',
    base_ref: job.baseRef ?? '',
    ...(job.environment !== undefined ? { environment: job.environment } : {}),
    ...(job.enterprise !== undefined ? { enterprise: job.enterprise, enterprise_id: job.enterpriseId ?? numericId() } : {}),
    ...job.extraClaims,
  };
}

/** GitHub's default audience: the URL of the repository owner. */
export function defaultAudience(repository: string): string {
  return `https://github.com/${repository.split('/')[0] ?? ''}`;
}
