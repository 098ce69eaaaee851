/**
 * The part of the CLOUDFRONT web ACL the rehearsal can evaluate from the template: rules built from byte
 * matches (host header, URI path), IP sets, and/or/not — the admin allowlist and the operational-path blocks.
 * Managed rule groups, rate-based rules and label matches are not rehearsed (they are AWS's code); they are
 * counted in `skipped` so the report says so.
 */
import type { Template } from './template-model.js';

type Stmt = Record<string, any>;

export interface WafRequest {
  host: string;
  uri: string;
  ip: string;
}

function ipv4InCidr(ip: string, cidr: string): boolean {
  const [base, bits] = cidr.split('/');
  if (!base || base.includes(':') || ip.includes(':')) return false;
  const n = (s: string) => s.split('.').reduce((a, b) => (a << 8) + Number(b), 0) >>> 0;
  const mask = Number(bits) === 0 ? 0 : (~0 << (32 - Number(bits))) >>> 0;
  return (n(ip) & mask) === (n(base) & mask);
}

export class WafStandIn {
  readonly skipped: string[] = [];
  private readonly rules: Array<{ name: string; block: boolean; statement: Stmt }> = [];
  private readonly ipSets = new Map<string, string[]>();

  constructor(template: Template) {
    for (const [id, r] of Object.entries(template.Resources)) if (r.Type === 'AWS::WAFv2::IPSet') this.ipSets.set(id, r.Properties!.Addresses ?? []);
    const acl = Object.values(template.Resources).find((r) => r.Type === 'AWS::WAFv2::WebACL');
    for (const rule of (acl?.Properties?.Rules ?? []) as Array<Record<string, any>>) {
      if (this.supported(rule.Statement)) this.rules.push({ name: rule.Name, block: Boolean(rule.Action?.Block), statement: rule.Statement });
      else this.skipped.push(rule.Name);
    }
  }

  /** The first rule that blocks the request, if any. */
  blockedBy(req: WafRequest): string | undefined {
    for (const r of this.rules) if (this.matches(r.statement, req)) return r.block ? r.name : undefined;
    return undefined;
  }

  /** Addresses of the IP sets (for the viewer-IP mapping). */
  allowlist(): string[] {
    return [...this.ipSets.values()].flat();
  }

  private supported(s: Stmt): boolean {
    if (s.ByteMatchStatement || s.IPSetReferenceStatement) return true;
    if (s.AndStatement) return (s.AndStatement.Statements as Stmt[]).every((x) => this.supported(x));
    if (s.OrStatement) return (s.OrStatement.Statements as Stmt[]).every((x) => this.supported(x));
    if (s.NotStatement) return this.supported(s.NotStatement.Statement);
    return false;
  }

  private matches(s: Stmt, req: WafRequest): boolean {
    if (s.AndStatement) return (s.AndStatement.Statements as Stmt[]).every((x) => this.matches(x, req));
    if (s.OrStatement) return (s.OrStatement.Statements as Stmt[]).some((x) => this.matches(x, req));
    if (s.NotStatement) return !this.matches(s.NotStatement.Statement, req);
    if (s.IPSetReferenceStatement) {
      const id = (s.IPSetReferenceStatement.Arn as { 'Fn::GetAtt': string[] })['Fn::GetAtt'][0]!;
      return (this.ipSets.get(id) ?? []).some((c) => ipv4InCidr(req.ip, c));
    }
    const b = s.ByteMatchStatement;
    const field = b.FieldToMatch.SingleHeader ? (String(b.FieldToMatch.SingleHeader.Name).toLowerCase() === 'host' ? req.host : '') : req.uri;
    const lower = ((b.TextTransformations ?? []) as Array<{ Type: string }>).some((t) => t.Type === 'LOWERCASE');
    const value = lower ? field.toLowerCase() : field;
    const needle = String(b.SearchString);
    switch (b.PositionalConstraint) {
      case 'EXACTLY':
        return value === needle;
      case 'STARTS_WITH':
        return value.startsWith(needle);
      case 'CONTAINS':
        return value.includes(needle);
      default:
        return false;
    }
  }
}
