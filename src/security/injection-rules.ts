// The injection detector's rules: phrases that instruct a model, by signal, in the languages cairn
// serves (en, de, fr, es, pt, it, ru, zh, ja). Patterns run on the matching view
// (`normaliseForMatching`: lower case, disguises folded). Every gap has a bound (`{0,40}`) and
// steps one character in one way, and no repeated group holds another, so each pattern costs a
// bounded amount per start position and a scan stays linear in the text.

export interface InjectionRule {
  /** The signal reported when the rule matches. */
  signal: string;
  /** How much this match alone says "injection", 0..1; matches combine (see detectInjection). */
  weight: number;
  pattern: RegExp;
}

// A gap inside one sentence: a full stop counts as the end only before a blank, so URLs, file
// names and decimals do not split a sentence. Each step consumes one character in exactly one way.
const gap = (max: number) => `(?:[^.!?\\n]|[.!?](?=\\S)){0,${max}}`;
const GAP = gap(40);
const SHORT = gap(16);

// The English rules are written as strings so they can share the gaps above.
const en = (source: string) => new RegExp(source);

export const INJECTION_RULES: readonly InjectionRule[] = [
  // Override: "ignore all previous instructions" and its paraphrases.
  {
    signal: 'override-instructions',
    weight: 0.8,
    pattern: en(
      `\\b(?:ignore|disregard|forget|override|bypass|discard|abandon|neglect|skip|drop)${GAP}(?:previous|prior|preceding|above|earlier|former|original|initial|system|existing|old|all|any|your|developer)${SHORT}(?:instruction|prompt|rule|direction|guideline|guardrail|constraint|command|order|context|programming|polic|directive|safety)`,
    ),
  },
  {
    signal: 'override-instructions',
    weight: 0.6,
    pattern: en(
      '\\b(?:ignore|disregard|forget)\\b (?:all |everything |anything )?(?:of )?(?:the |that )?(?:above|before|earlier|previous(?:ly)?|prior)\\b(?=[.,;:!\\n]| and| instead|$)',
    ),
  },
  {
    signal: 'override-instructions',
    weight: 0.7,
    pattern: en(
      '\\b(?:previous|prior|earlier|old|original|above|system) (?:rules|instructions|guidelines|directives|prompt) (?:are|were|is|have been) (?:now )?(?:outdated|void|invalid|cancelled|canceled|revoked|obsolete|no longer (?:valid|in effect|apply))',
    ),
  },
  {
    signal: 'override-instructions',
    weight: 0.7,
    pattern: en(
      `\\b(?:do not|don't|stop|no longer) (?:follow|obey|apply|respect)${SHORT}(?:previous|prior|original|system|above|earlier|your)${SHORT}(?:instruction|prompt|rule|guideline|directive)`,
    ),
  },
  {
    signal: 'override-instructions',
    weight: 0.55,
    pattern: en(
      '\\b(?:new|updated|revised|real|actual) (?:system )?(?:instructions?|directives?|rules|orders|task)\\s?:',
    ),
  },
  {
    signal: 'override-instructions',
    weight: 0.45,
    pattern: en(
      `\\b(?:instead|from now on|henceforth)${SHORT}\\byou (?:must|will|should|shall|have to|are to)\\b`,
    ),
  },
  {
    signal: 'override-instructions',
    weight: 0.8,
    pattern:
      /(?:ignorier|vergiss|missachte|übergeh)[^.!?\n]{0,40}(?:vorherig|bisherig|obig|vorig|früher|alle|system)[^.!?\n]{0,16}(?:anweisung|instruktion|befehl|regel|vorgabe)|(?:ignore|oublie|néglige)[^.!?\n]{0,40}(?:instruction|consigne|directive|règle)s?[^.!?\n]{0,16}(?:précédent|antérieur|ci-dessus|du système|initial)|(?:ignor|olvid|descart|omit|esque[cç]|desconsider|dimentic|tralascia)[^.!?\n]{0,40}(?:instru[cç]|indicacion|istruzion|direttiv|regras|reglas|regole|orienta)[^.!?\n]{0,24}(?:anterior|previ|precedent|sistema|acima|sopra)|(?:игнорир|забуд|забыв|не обращай внимания на|отбрось|проигнорир)[^.!?\n]{0,40}(?:инструкц|указани|команд|правил)|(?:忽略|无视|忽视|忘记|忘掉|不要理会|不要遵守|無視|忽略掉)[^。！？\n]{0,16}(?:指令|指示|说明|提示|规则|命令|命令|ルール|設定)|(?:指示|命令|指令|ルール|プロンプト)[^。！？\n]{0,12}(?:無視|忘れ)/,
  },
  {
    signal: 'override-instructions',
    weight: 0.55,
    pattern:
      /(?:^|\n|[.:!] )(?:neue anweisungen?|nouvelles instructions|nuevas instrucciones|novas instruções|nuove istruzioni|новые инструкции|новая инструкция)\s?:|(?:新的指令|新指令|新しい指示|新たな指示)\s?[:：]/,
  },
  // A notice claiming the authority of an administrator or of the system ("SYSTEM UPDATE:", "New
  // rule from the administrator:"). Real notices open this way too, and tell people how to reply, so
  // this and the next rule weigh little: together they stay below the threshold, and flag only with
  // a third piece of evidence about what the notice tells the model to do.
  {
    signal: 'override-instructions',
    weight: 0.25,
    pattern:
      /(?:^|\n|[.!?;>] )(?:(?:new |updated |urgent |important )?(?:system |admin |agent |maintenance )?(?:rule|instruction|directive|order|message|notice|command)s? from (?:the |your )?(?:administrator|admin|system|developer|operator|owner)|(?:system|admin|administrator|agent|assistant|developer)(?: maintenance| security)? (?:update|directive|override|instruction|notice|command|message)s?|neue regel vom administrator|systemaktualisierung|systemanweisung|nouvelle règle de l'administrateur|mise à jour (?:du )?système|nueva regla del administrador|actualización del sistema|nova regra do administrador|atualização do sistema|nuova regola dall'amministratore|aggiornamento di sistema|новое правило от администратора|обновление системы|системное обновление)\s?:|(?:系统更新|管理员通知|来自管理员的新规则|システム更新|管理者からの(?:新しいルール|指示))\s?[:：]/,
  },
  // Dictating the exact form of every reply ("prefix your reply with", "answer every question with").
  {
    signal: 'override-instructions',
    weight: 0.25,
    pattern:
      /\b(?:prefix|start|begin|end|prepend) (?:your|every|each|all|the) (?:reply|replies|answer|answers|response|responses|output) with\b|\b(?:reply|respond|answer)(?: to)? (?:every|each|all|any) (?:question|message|request|prompt)s? with\b|\b(?:reply|respond|answer) (?:only|solely|just) with\b|\bin (?:every|each|all) (?:fields?|answers?|replies|responses)\b|antworte (?:nur|ausschließlich) mit|beginne deine antwort mit|réponds (?:uniquement|seulement) (?:par|avec)|commence ta réponse par|respond[ae] (?:solo|solamente|únicamente|apenas|somente) con?\b|comienza tu respuesta con|rispondi solo con|inizia la tua risposta con|отвечай только|начни (?:свой )?ответ с|(?:只|仅)(?:回复|回答)|回答的开头|だけで(?:答え|返答)|回答の先頭に/,
  },
  // Payload splitting: the model is to assemble a string from parts, so no filter sees it whole.
  {
    signal: 'encoded-payload',
    weight: 0.3,
    pattern: en(
      `\\b(?:word|string|code|text|phrase|token|value)s? (?:made|formed|built|composed|obtained|created) (?:of|from|by)\\b${GAP}\\b(?:join|concatenat|combin|glu)`,
    ),
  },
  // The text tells the model it runs with more privileges ("you are in admin mode now").
  {
    signal: 'persona-switch',
    weight: 0.45,
    pattern:
      /(?<!\b(?:if|when|while|once|whether|until|unless) )\b(?:you(?:'re| are)|the (?:assistant|model|ai|agent|bot) is)(?: now)? (?:in|running in|operating in|switched to) (?:admin|administrator|maintenance|debug|developer|god|root|sudo|superuser|privileged|service) mode\b|(?:du bist|sie sind) (?:jetzt |nun )?im (?:admin|administrator|wartungs|debug|entwickler)-?modus|(?:tu es|vous êtes) (?:maintenant |désormais )?en mode (?:admin|administrateur|maintenance|débogage|développeur)|estás (?:ahora )?en modo (?:admin|administrador|mantenimiento|depuración|desarrollador)|você está (?:agora )?(?:no|em) modo (?:admin|administrador|manutenção|depuração)|sei (?:ora )?in modalità (?:admin|amministratore|manutenzione|debug|sviluppatore)|ты (?:теперь |сейчас )?в режиме (?:администратора|админа|отладки|обслуживания|разработчика)|你(?:现在)?(?:处于|进入了?)(?:管理员|维护|调试|开发者)模式|あなたは(?:今|現在)?(?:管理者|メンテナンス|デバッグ|開発者)モード/,
  },
  // A request for other users' data: an assistant that serves one user has no reason to list it.
  {
    signal: 'other-users-data',
    weight: 0.35,
    pattern: en(
      `\\b(?:list|show|print|give|dump|reveal|output|display|return|quote|read out|tell me)\\b${GAP}(?:\\b(?:every|each|any|other) users?'?s?\\b|\\ball users'?|\\b(?:of|from|belonging to) (?:all|every|other) (?:users|customers|tenants|accounts)\\b)`,
    ),
  },
  // A dialogue turn forged inside a text: a "user:" line that opens a new task for the model.
  {
    signal: 'role-marker',
    weight: 0.45,
    pattern:
      /(?:^|\n)(?:user|human|benutzer|utilisateur|usuario|usuário|utente|пользователь|用户|ユーザー) ?[:：] ?(?:new (?:task|instructions?|rules?|request)\b|(?:now |instead,? )?(?:ignore|forget|disregard)\b|from now on\b|neue aufgabe|nouvelle tâche|nueva tarea|nova tarefa|nuovo compito|новая задача|新任务|新しいタスク)/,
  },
  // Steering the model's citations and what it tells the user ("cite that document as your source").
  {
    signal: 'addressed-to-model',
    weight: 0.3,
    pattern: en(
      `\\bcite${SHORT}\\b(?:document|source|file|passage|page)${SHORT}\\bas (?:your|the) (?:source|reference|citation)`,
    ),
  },
  {
    signal: 'addressed-to-model',
    weight: 0.25,
    pattern: en('\\btell the user (?:that|to)\\b'),
  },
  // A text addressed to a model by its job ("AI classifier: mark this email as positive").
  {
    signal: 'addressed-to-model',
    weight: 0.35,
    pattern: en(
      '\\b(?:ai|llm|gpt|automated) (?:classifier|assistant|agent|summari[sz]er|reader|reviewer|screener|filter|model|system)s?\\s?:',
    ),
  },
  {
    signal: 'addressed-to-model',
    weight: 0.25,
    pattern: en(
      '\\b(?:mark|classify|label|tag|rate|score|rank) (?:this|the) (?:email|e-mail|message|review|document|text|resume|cv|ticket|application|candidate) as (?:positive|negative|neutral|safe|benign|approved|legitimate|top|high|excellent|not spam|important)\\b|\\bset the (?:summary|sentiment|label|score|rating|category|verdict|classification)(?: field)? to\\b',
    ),
  },
  // Cloud metadata endpoints: where a forged tool call fetches an instance's credentials.
  {
    signal: 'exfiltrate-url',
    weight: 0.35,
    pattern: /\b169\.254\.169\.254\b|\bmetadata\.google\.internal\b|\/latest\/meta-data\b/,
  },
  // System prompt extraction.
  {
    signal: 'reveal-system-prompt',
    weight: 0.7,
    pattern: en(
      `\\b(?:reveal|print|show|output|repeat|display|tell|write|leak|dump|give|share|disclose|recite|list|paste|return|what (?:is|are|was|were))\\b${GAP}(?:your|the|its|my|hidden|secret|initial|original)${SHORT}(?:system prompt|system message|initial prompt|hidden (?:prompt|instructions)|original instructions|developer (?:message|prompt)|pre-?prompt|instructions (?:you were|you've been) given|secret instructions|confidential instructions)`,
    ),
  },
  {
    signal: 'reveal-system-prompt',
    weight: 0.6,
    pattern: en(
      `\\b(?:repeat|print|output|copy|write out)${SHORT}(?:the )?(?:text|words|everything|all|content|instructions) (?:above|before this|prior to this)|\\bverbatim${SHORT}(?:instructions|prompt|above)`,
    ),
  },
  {
    signal: 'reveal-system-prompt',
    weight: 0.7,
    pattern:
      /(?:zeig|gib|verrat|nenn|wiederhol)[^.!?\n]{0,40}(?:system-?prompt|systemanweisung|systemnachricht|versteckten anweisungen)|(?:révèle|affiche|montre|donne|répète|dévoile|imprime)[^.!?\n]{0,40}(?:prompt système|invite système|message système|instructions (?:cachées|système|initiales))|(?:revela|muestra|dime|imprime|repite|revele|mostre|diga|mostra|rivela|dimmi|ripeti|stampa)[^.!?\n]{0,40}(?:prompt del sistema|prompt de sistema|prompt do sistema|mensaje del sistema|mensagem do sistema|prompt di sistema|messaggio di sistema|instrucciones ocultas|instruções ocultas|istruzioni nascoste)|(?:покажи|раскрой|выведи|повтори|напиши|скажи|сообщи)[^.!?\n]{0,40}(?:системн[а-я]* (?:промпт|подсказк|инструкц|сообщени)|скрыт[а-я]* инструкц)|(?:显示|透露|输出|告诉我|泄露|打印|重复|给我看)[^。！？\n]{0,12}(?:系统提示|系统指令|系统消息|隐藏指令)|(?:システムプロンプト|システムメッセージ|隠された指示)[^。！？\n]{0,12}(?:表示|教え|出力|見せ|繰り返)/,
  },
  // Fake chat-template and role markers, and breaking out of the wrapper a document is quoted in.
  {
    signal: 'role-marker',
    weight: 0.7,
    pattern:
      /<\|(?:im_start|im_end|system|assistant|user|endoftext|eot_id|start_header_id|end_header_id)\|>|\[\/?inst\]|<<\/?sys>>|<\/?(?:system|system_prompt)>|<\/(?:sources?|documents?|context|tool_results?|search_results|untrusted|data)>/,
  },
  {
    signal: 'role-marker',
    weight: 0.6,
    pattern: /(?:^|\n)(?:#{1,4} ?|\*\*|\[)(?:system|assistant|developer)(?: message| prompt)?(?:\*\*|\])? ?:/,
  },
  {
    signal: 'role-marker',
    weight: 0.3,
    pattern: /(?:^|\n)(?:system|assistant|developer)(?: message| prompt)? ?:/,
  },
  {
    signal: 'role-marker',
    weight: 0.5,
    pattern:
      /(?:^|\n)(?:-{3,}|={3,}|#{2,}) ?(?:end of (?:document|context|data|input|text|file|tool output)|begin (?:system|new) (?:prompt|instructions))/,
  },
  // Persona switch and jailbreaks.
  {
    signal: 'persona-switch',
    weight: 0.65,
    pattern: en(
      '\\b(?:do anything now|jailbreak mode|jailbroken|dan mode|aim mode)\\b[^.!?\\n]{0,60}\\b(?:enabled|activated|mode|you are|you will|act|respond|pretend|answer)|\\b(?:enable|activate|enter|switch to)\\b[^.!?\\n]{0,20}(?:dan mode|jailbreak mode|god mode|unrestricted mode)|\\bdeveloper mode\\b[^.!?\\n]{0,60}\\b(?:chatgpt|policies|policy|censor|uncensored|restrictions|filters|guidelines|openai)',
    ),
  },
  {
    signal: 'persona-switch',
    weight: 0.45,
    pattern: en(
      `\\b(?:you are now|from now on,? you are|you will now act as|act as|pretend (?:to be|you are)|roleplay as|you're now)\\b${SHORT}\\b(?:unrestricted|unfiltered|uncensored|jailbroken|evil|free from|no longer|without (?:any )?(?:rules|restrictions|limits|filters)|an ai (?:with|without)|a different ai|dan\\b)`,
    ),
  },
  {
    signal: 'persona-switch',
    weight: 0.35,
    pattern: en(
      '\\b(?:you are now|from now on,? you are|you will now act as|you are no longer)\\b (?:an? |the |my )?(?:ai|assistant|model|chatbot|bot|agent|hacker|pirate|character|persona|system|admin|root)\\b',
    ),
  },
  {
    signal: 'persona-switch',
    weight: 0.5,
    pattern: en(
      '\\b(?:no (?:longer )?(?:bound|restricted|limited) by|not bound by|free (?:from|of) (?:all |any )?(?:rules|restrictions|guidelines|policies|filters))',
    ),
  },
  {
    signal: 'persona-switch',
    weight: 0.45,
    pattern:
      /(?:du bist (?:jetzt|nun|ab sofort)|ab sofort bist du|tu es (?:maintenant|désormais)|vous êtes (?:maintenant|désormais)|désormais,? tu es|ahora eres|a partir de ahora,? (?:eres|serás|actúa)|agora você é|a partir de agora,? você|ora sei|da ora in poi,? (?:sei|agisci)|теперь ты|отныне ты|с этого момента ты|你现在是|从现在开始,?你|从现在起,?你|あなたは今から|今からあなたは|これからあなたは)/,
  },
  {
    signal: 'persona-switch',
    weight: 0.35,
    pattern:
      /\b(?:with(?:out)? (?:any |no )?(?:restrictions|rules|limits|limitations|filters|censorship)|no restrictions|unrestricted|unfiltered|uncensored)\b|ohne (?:jegliche )?(?:einschränkungen|regeln|filter|grenzen)|sans (?:aucune )?(?:règles?|restrictions?|filtres?|limites?)|sin (?:ninguna )?(?:restricciones|reglas|límites|filtros)|sem (?:nenhuma )?(?:limites|regras|restrições|filtros)|senza (?:alcuna )?(?:regole|filtri|limiti|restrizioni)|без (?:каких-либо )?(?:ограничений|правил|фильтров)|没有任何限制|不受任何?限制|没有限制|制限のない|制限なし/,
  },
  // Exfiltration: send data to an address, or a markdown image whose URL carries data.
  {
    signal: 'exfiltrate-url',
    weight: 0.6,
    pattern: en(
      `\\b(?:send|post|forward|upload|transmit|exfiltrate|append|attach|include|submit|leak|encode|put|add)${GAP}(?:conversation|chat history|chat log|previous messages|message history|user'?s? (?:data|messages|details|info|email|password)|api keys?|passwords?|credentials|secrets?|access tokens?|session tokens?|personal (?:data|information)|system prompt|private (?:data|information)|the above)${GAP}(?:to|into|in|at|as)${SHORT}(?:https?:|url|endpoint|webhook|server|link|query (?:string|parameter))`,
    ),
  },
  {
    signal: 'exfiltrate-url',
    weight: 0.6,
    pattern: /!\[[^\]\n]{0,100}\]\(https?:\/\/[^\s)]{1,200}\?[^\s)]{0,200}(?:\{|\[|%7b|<|\$)/,
  },
  {
    signal: 'exfiltrate-url',
    weight: 0.6,
    pattern:
      /(?:send|schick|sende|übermittle|envoie|envía|envie|invia|отправь|перешли|发送|送信)[^.!?。\n]{0,60}(?:verlauf|passw|zugangsdaten|historique|mot de passe|identifiants|historial|contraseña|credenciales|histórico|senha|cronologia|password|credenziali|истори|парол|учётн|учетн|聊天记录|对话记录|密码|会話履歴|パスワード)[^.!?。\n]{0,60}(?:https?:|url|webhook|サーバー|服务器|сервер)/,
  },
  {
    signal: 'exfiltrate-url',
    weight: 0.5,
    pattern: en(
      `\\b(?:secrets?|api keys?|passwords?|credentials|access tokens?|conversation|chat history|personal data)\\b${gap(80)}\\b(?:to|into|in) (?:the |a )?(?:query string|query parameters?|url|link)\\b${GAP}https?:`,
    ),
  },
  // Instructions to call a tool.
  {
    signal: 'tool-command',
    weight: 0.45,
    pattern: en(
      `\\b(?:call|invoke|use|run|execute|trigger|fire)${SHORT}\\b(?:the )?\`?(?:[a-z]+_[a-z_]+|http_request|send_email|shell|bash|terminal|browser|delegate|sub-?agent)\`?(?: tool| function)?${GAP}(?:with|to|on|and|now|immediately)`,
    ),
  },
  {
    signal: 'tool-command',
    weight: 0.6,
    pattern: en(
      `\\b(?:call|invoke|use|run|execute|trigger)\\b${SHORT}(?:tool|function|[a-z]+_[a-z_]+)\\b${GAP}\\b(?:now|immediately|right away|at once|after reading this|without (?:asking|confirmation|approval))\\b`,
    ),
  },
  {
    signal: 'tool-command',
    weight: 0.35,
    pattern:
      /\brm -rf\b|\bdrop (?:table|database)\b|\bformat c:|\b(?:delete|drop|wipe|transfer|send)_[a-z_]+\b[^.!?\n]{0,40}(?:=\s?all\b|\bamount\s?=|path\s?=\s?\/)/,
  },
  {
    signal: 'tool-command',
    weight: 0.3,
    pattern: en(
      '\\b(?:use|call|invoke) (?:the |your |any )?(?:tools?|functions?|plugins?|browsing|web access)\\b[^.!?\\n]{0,40}\\b(?:to (?:send|fetch|delete|email|post|download|transfer|visit|open)|now|immediately)',
    ),
  },
  // Words addressed to the model that reads the text, and asking it to hide what it does.
  {
    signal: 'addressed-to-model',
    weight: 0.55,
    pattern: en(
      '\\b(?:attention|note|notice|message|instructions?|important|memo|p\\.?s\\.?)(?: to| for)? (?:the |any |all )?(?:ai|llm|language model|chatbot|gpt)s?\\b|\\b(?:note|message|instructions?|memo) (?:to|for) (?:the |any |all )?(?:assistant|model|agent|bot)s?\\b|\\bif you are an? (?:ai|llm|language model|assistant|agent|chatbot)\\b|\\b(?:ai|llm|assistant|model|agent|chatbot)s? (?:reading|processing|summari[sz]ing|parsing) (?:this|these|the)\\b|\\bwhen (?:an? |the )?(?:ai|llm|assistant|model|agent) (?:reads|summari[sz]es|processes) this',
    ),
  },
  {
    signal: 'addressed-to-model',
    weight: 0.45,
    pattern: en(
      '\\bwhen you (?:read|process|summari[sz]e|see|parse|analy[sz]e) (?:this|the) (?:page|document|email|e-mail|text|file|message|review|resume|cv|website|site)\\b',
    ),
  },
  {
    signal: 'addressed-to-model',
    weight: 0.3,
    pattern: en(
      '\\b(?:dear|hey|hi|hello) (?:ai|assistant|chatgpt|gpt|model|llm|agent|claude|gemini|copilot)\\b',
    ),
  },
  {
    signal: 'addressed-to-model',
    weight: 0.55,
    pattern:
      /(?:an (?:die|den) (?:ki|ki-assistenten|assistenten|sprachmodell)\b|wenn du eine ki bist|(?:à|pour) l'(?:ia|assistant)\b|si tu es une ia|(?:para|al) (?:la ia|el asistente|o assistente|a ia)\b|se você (?:é|for) uma ia|si eres una ia|(?:per|all') ?l'(?:ia|assistente)\b|se sei un'ia|(?:для|к) (?:ии|ассистента|модели|нейросети)(?![а-яё])|если ты (?:ии|нейросеть|ассистент|языковая модель)|(?:致|给)(?:ai|人工智能|助手|模型)|如果你是(?:ai|人工智能|语言模型|助手)|(?:ai|aiアシスタント|アシスタント)(?:へ|への)(?:指示|メッセージ)|あなたがaiなら)/,
  },
  {
    signal: 'conceal',
    weight: 0.5,
    pattern: en(
      "\\b(?:do not|don't|never|without) (?:tell|telling|inform|informing|mention|mentioning|notify|notifying|alert|alerting|asking|ask|reveal (?:this |it )?to|let) (?:the |this to the |it to the )?(?:user|human|operator)\\b|\\bthe user (?:must|should) not (?:know|see|notice)",
    ),
  },
  {
    signal: 'conceal',
    weight: 0.3,
    pattern: en('\\b(?:secretly|quietly|silently|covertly)\\b'),
  },
  {
    signal: 'conceal',
    weight: 0.5,
    pattern:
      /(?:sag|erzähl)[^.!?\n]{0,12}(?:dem|den) (?:nutzer|benutzer)[^.!?\n]{0,12}nichts|ohne (?:den|dem) (?:nutzer|benutzer)[^.!?\n]{0,12}(?:zu informieren|zu fragen)|sans (?:le dire|en informer|prévenir|demander) (?:à )?l'utilisateur|ne (?:le )?dis (?:rien|pas) à l'utilisateur|sin (?:decírselo|avisar|informar) al usuario|no (?:le )?(?:digas|informes) (?:nada )?al usuario|sem (?:avisar|informar|contar) (?:ao|o) usuário|não (?:conte|diga|informe) (?:nada )?ao usuário|senza (?:dirlo|avvisare|informare) (?:all'|l')utente|non dire (?:nulla )?all'utente|не (?:говори|сообщай) пользователю|без ведома пользователя|不要告诉用户|不要通知用户|ユーザーに(?:知らせ|伝え|言わ)(?:ない|ず)/,
  },
  // A request to decode and act on an encoded text.
  {
    signal: 'encoded-payload',
    weight: 0.3,
    pattern: en(
      '\\b(?:decode|base64-decode|unhex|rot13)\\b[^.!?\\n]{0,40}\\b(?:and|then)\\b[^.!?\\n]{0,16}\\b(?:follow|execute|obey|run|do|apply|carry out)\\b',
    ),
  },
];

/**
 * Texts about injections rather than injections: words that mark a discussion of attacks. With
 * one of these present, a quoted phrase counts less (see `quotable`).
 */
export const DISCUSSION =
  /prompt[- ]injection|jailbreak(?:s|ing)? (?:attempt|attack|prompt)|attackers?\b|adversar|malicious|for example|for instance|e\.g\.|such as|researchers?|red[- ]team|exploit|injection (?:attack|de prompt|rápida)|inyección de (?:prompts?|instrucciones)|injeção de prompt|iniezione di prompt|prompt-injektion|промпт-инъекц|инъекц|提示注入|提示词注入|プロンプトインジェクション|beispiel|par exemple|por ejemplo|por exemplo|ad esempio|например|例如|例えば/;
