import { Annotation } from '@langchain/langgraph';
import type { UserContext } from '../../shared/user-context.js';

export interface ChatTurn {
  role: 'user' | 'assistant';
  content: string;
}

/**
 * The graph's state. Node names (supervisor, security, support) differ from these keys, as
 * LangGraph requires.
 */
export const ChatState = Annotation.Root({
  message: Annotation<string>,
  history: Annotation<ChatTurn[]>,
  user: Annotation<UserContext>,
  /** Whether the supervisor routed to security. */
  containsPii: Annotation<boolean>,
  /** The message and history as the support agent may see them. */
  safeMessage: Annotation<string>,
  safeHistory: Annotation<ChatTurn[]>,
  answer: Annotation<string>,
  /** Agents in the order they ran. */
  path: Annotation<string[]>({ reducer: (a, b) => a.concat(b), default: () => [] }),
});

export type ChatStateValue = typeof ChatState.State;
