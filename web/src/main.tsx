/** Entry of the console: RUM starts first (so it sees the first paint), then React renders. */
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './App.tsx';
import { initRum } from './rum.ts';
import { SessionProvider } from './session.tsx';
import './styles.css';

initRum();
createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <SessionProvider>
      <App />
    </SessionProvider>
  </StrictMode>,
);
