/** What every page component receives, and its title hook. */
import { useEffect } from 'react';

export interface PageProps {
  params: Record<string, string>;
  query: URLSearchParams;
}

export function usePageTitle(title: string): void {
  useEffect(() => {
    document.title = `${title} · cb console`;
  }, [title]);
}
