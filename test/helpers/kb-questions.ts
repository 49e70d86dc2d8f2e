/** Questions about the sample base in kb/ and the heading of the section that answers each. */
export const KB_QUESTIONS: Array<{ question: string; heading: string }> = [
  { question: 'Why does DQN store transitions in a replay buffer?', heading: 'Experience replay' },
  { question: 'How does Thompson sampling pick which arm to pull?', heading: 'Thompson sampling' },
  { question: 'What does it mean for a state to have the Markov property?', heading: 'The Markov property' },
  {
    question: 'How is SARSA different from Q-learning on the cliff walking task?',
    heading: 'SARSA: on-policy TD control',
  },
  { question: 'What is reward hacking?', heading: 'Reward hacking' },
  {
    question: 'How does PPO keep policy updates small with clipping?',
    heading: 'Proximal Policy Optimization',
  },
];
