/** What a tool hands back to the model: compact text, and the ids of the chunks or papers it cites. */
export interface ToolResult {
  content: string;
  cited: string[];
}

/** A function an agent may call, named by an AI Config variation in `model.parameters.tools`. */
export interface AgentTool {
  name: string;
  description: string;
  /** JSON Schema of the arguments (an object schema). */
  parameters: Record<string, unknown>;
  run(args: Record<string, unknown>, signal?: AbortSignal): Promise<ToolResult>;
}

/** The `error` of a recorded tool call whose name is not among the tools offered (whatever the model sent). */
export const UNKNOWN_TOOL_ERROR = 'unknown tool';
