import type { PageProps } from '../page.ts';
import { usePageTitle } from '../page.ts';
import { SignInPanel } from '../SignInPanel.tsx';

export default function SignInPage({ query }: PageProps) {
  usePageTitle('Sign in');
  return (
    <section>
      <h1>Sign in</h1>
      <SignInPanel next={query.get('next') ?? undefined} />
    </section>
  );
}
