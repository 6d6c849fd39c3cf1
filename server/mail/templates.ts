// Notification templates (SPEC R6.2): one per event, in Russian, Kazakh, Ukrainian and English —
// the addressee's language. Each is a subject and a plain-text body with {placeholders} from the
// notice's payload; the HTML part is the same text, escaped, in paragraphs.
export const LANGUAGES = ["ru", "kk", "uk", "en"] as const;
export type Language = (typeof LANGUAGES)[number];

type Template = [subject: string, body: string];
type Templates = Record<Language, Template>;

const T: Record<string, Templates> = {
  "document.received": {
    ru: ["Получен документ: {title}", "{sender} отправил вам документ «{title}».\nОтветьте до {respondBy}.\n{link}"],
    kk: ["Құжат келді: {title}", "{sender} сізге «{title}» құжатын жіберді.\n{respondBy} дейін жауап беріңіз.\n{link}"],
    uk: [
      "Отримано документ: {title}",
      "{sender} надіслав вам документ «{title}».\nДайте відповідь до {respondBy}.\n{link}",
    ],
    en: [
      "Document received: {title}",
      '{sender} sent you the document "{title}".\nPlease respond by {respondBy}.\n{link}',
    ],
  },
  "document.delivered": {
    ru: ["Документ получен адресатом: {title}", "{recipient} подтвердил получение документа «{title}».\n{link}"],
    kk: ["Құжат алушыға жетті: {title}", "{recipient} «{title}» құжатын алғанын растады.\n{link}"],
    uk: ["Документ отримано адресатом: {title}", "{recipient} підтвердив отримання документа «{title}».\n{link}"],
    en: ["Document delivered: {title}", '{recipient} confirmed receipt of "{title}".\n{link}'],
  },
  "document.approval_requested": {
    ru: ["Требуется согласование: {title}", "Вас просят согласовать документ «{title}».\n{link}"],
    kk: ["Келісу қажет: {title}", "Сізден «{title}» құжатын келісу сұралады.\n{link}"],
    uk: ["Потрібне погодження: {title}", "Вас просять погодити документ «{title}».\n{link}"],
    en: ["Approval requested: {title}", 'You are asked to approve "{title}".\n{link}'],
  },
  "document.returned": {
    ru: [
      "Документ возвращён на доработку: {title}",
      "Документ «{title}» возвращён на доработку.\nКомментарий: {comment}\n{link}",
    ],
    kk: ["Құжат пысықтауға қайтарылды: {title}", "«{title}» құжаты пысықтауға қайтарылды.\nПікір: {comment}\n{link}"],
    uk: [
      "Документ повернуто на доопрацювання: {title}",
      "Документ «{title}» повернуто на доопрацювання.\nКоментар: {comment}\n{link}",
    ],
    en: ["Document returned for rework: {title}", '"{title}" was returned for rework.\nComment: {comment}\n{link}'],
  },
  "document.approved": {
    ru: ["Документ согласован: {title}", "Документ «{title}» согласован всеми участниками маршрута.\n{link}"],
    kk: ["Құжат келісілді: {title}", "«{title}» құжатын бағыттың барлық қатысушылары келісті.\n{link}"],
    uk: ["Документ погоджено: {title}", "Документ «{title}» погоджено всіма учасниками маршруту.\n{link}"],
    en: ["Document approved: {title}", '"{title}" was approved by everyone on its route.\n{link}'],
  },
  "document.signature_requested": {
    ru: ["Требуется подпись: {title}", "Документ «{title}» согласован и ожидает вашей подписи.\n{link}"],
    kk: ["Қол қою қажет: {title}", "«{title}» құжаты келісілді және сіздің қолыңызды күтуде.\n{link}"],
    uk: ["Потрібен підпис: {title}", "Документ «{title}» погоджено, він очікує на ваш підпис.\n{link}"],
    en: ["Signature requested: {title}", '"{title}" is approved and awaits your signature.\n{link}'],
  },
  "document.signed_by_recipient": {
    ru: ["Документ подписан контрагентом: {title}", "{recipient} подписал документ «{title}».\n{link}"],
    kk: ["Құжатқа контрагент қол қойды: {title}", "{recipient} «{title}» құжатына қол қойды.\n{link}"],
    uk: ["Документ підписано контрагентом: {title}", "{recipient} підписав документ «{title}».\n{link}"],
    en: ["Document signed by the counterparty: {title}", '{recipient} signed "{title}".\n{link}'],
  },
  "document.rejected": {
    ru: [
      "Документ отклонён: {title}",
      "{recipient} отказал в подписании документа «{title}».\nПричина: {reason}\n{link}",
    ],
    kk: [
      "Құжат қабылданбады: {title}",
      "{recipient} «{title}» құжатына қол қоюдан бас тартты.\nСебебі: {reason}\n{link}",
    ],
    uk: [
      "Документ відхилено: {title}",
      "{recipient} відмовив у підписанні документа «{title}».\nПричина: {reason}\n{link}",
    ],
    en: ["Document rejected: {title}", '{recipient} refused to sign "{title}".\nReason: {reason}\n{link}'],
  },
  "document.clarification_requested": {
    ru: ["Запрошено уточнение: {title}", "{recipient} просит уточнить документ «{title}».\nВопрос: {reason}\n{link}"],
    kk: ["Нақтылау сұралды: {title}", "{recipient} «{title}» құжатын нақтылауды сұрайды.\nСұрақ: {reason}\n{link}"],
    uk: ["Запитано уточнення: {title}", "{recipient} просить уточнити документ «{title}».\nПитання: {reason}\n{link}"],
    en: [
      "Clarification requested: {title}",
      '{recipient} asks for clarification of "{title}".\nQuestion: {reason}\n{link}',
    ],
  },
  "document.annulment_requested": {
    ru: [
      "Предложено аннулировать: {title}",
      "Другая сторона предлагает аннулировать документ «{title}».\nПричина: {reason}\n{link}",
    ],
    kk: ["Жоюға ұсыныс: {title}", "Екінші тарап «{title}» құжатын жоюды ұсынады.\nСебебі: {reason}\n{link}"],
    uk: [
      "Запропоновано анулювати: {title}",
      "Інша сторона пропонує анулювати документ «{title}».\nПричина: {reason}\n{link}",
    ],
    en: ["Annulment requested: {title}", 'The other side asks to annul "{title}".\nReason: {reason}\n{link}'],
  },
  "document.annulled": {
    ru: ["Документ аннулирован: {title}", "Стороны аннулировали документ «{title}».\n{link}"],
    kk: ["Құжат жойылды: {title}", "Тараптар «{title}» құжатын жойды.\n{link}"],
    uk: ["Документ анульовано: {title}", "Сторони анулювали документ «{title}».\n{link}"],
    en: ["Document annulled: {title}", 'Both sides annulled "{title}".\n{link}'],
  },
  "document.annulment_declined": {
    ru: ["Аннулирование отклонено: {title}", "Другая сторона не согласилась аннулировать документ «{title}».\n{link}"],
    kk: ["Жоюдан бас тартылды: {title}", "Екінші тарап «{title}» құжатын жоюға келіспеді.\n{link}"],
    uk: ["Анулювання відхилено: {title}", "Інша сторона не погодилася анулювати документ «{title}».\n{link}"],
    en: ["Annulment declined: {title}", 'The other side declined to annul "{title}".\n{link}'],
  },
  "document.accepted_by_silence": {
    ru: [
      "Документ считается принятым: {title}",
      "Срок ответа по документу «{title}» истёк без подписи и мотивированного отказа: документ считается принятым.\n{link}",
    ],
    kk: [
      "Құжат қабылданған болып саналады: {title}",
      "«{title}» құжаты бойынша жауап беру мерзімі қол қойылмай және дәлелді бас тартусыз өтті: құжат қабылданған болып саналады.\n{link}",
    ],
    uk: [
      "Документ вважається прийнятим: {title}",
      "Строк відповіді на документ «{title}» минув без підпису та вмотивованої відмови: документ вважається прийнятим.\n{link}",
    ],
    en: [
      "Document deemed accepted: {title}",
      'The period to answer "{title}" ended without a signature or a reasoned refusal: it is deemed accepted.\n{link}',
    ],
  },
  invitation: {
    ru: [
      "{inviter} приглашает вас в обмен документами",
      "{inviter} отправил документ для {organization}. Чтобы получить его, зарегистрируйтесь по ссылке до {expiresAt}:\n{link}",
    ],
    kk: [
      "{inviter} сізді құжат алмасуға шақырады",
      "{inviter} {organization} үшін құжат жіберді. Оны алу үшін {expiresAt} дейін сілтеме арқылы тіркеліңіз:\n{link}",
    ],
    uk: [
      "{inviter} запрошує вас до обміну документами",
      "{inviter} надіслав документ для {organization}. Щоб отримати його, зареєструйтеся за посиланням до {expiresAt}:\n{link}",
    ],
    en: [
      "{inviter} invites you to exchange documents",
      "{inviter} sent a document for {organization}. To receive it, register with this link by {expiresAt}:\n{link}",
    ],
  },
  "billing.invoice_issued": {
    ru: [
      "Выставлен счёт № {number}",
      "Выставлен счёт № {number} на сумму {total} {currency}. К оплате: {outstanding} {currency} до {dueOn}.",
    ],
    kk: [
      "№ {number} шот ұсынылды",
      "Сомасы {total} {currency} № {number} шот ұсынылды. Төлеуге: {outstanding} {currency}, мерзімі {dueOn} дейін.",
    ],
    uk: [
      "Виставлено рахунок № {number}",
      "Виставлено рахунок № {number} на суму {total} {currency}. До сплати: {outstanding} {currency} до {dueOn}.",
    ],
    en: [
      "Invoice No. {number} issued",
      "Invoice No. {number} for {total} {currency} was issued. Amount due: {outstanding} {currency} by {dueOn}.",
    ],
  },
  "billing.overdue_notice": {
    ru: [
      "Просрочен счёт № {number}: блокировка {blockOn}",
      "Счёт № {number} не оплачен в срок ({dueOn}). Долг: {outstanding} {currency}.\nЕсли он не будет оплачен, {blockOn} будет заблокирована отправка и подписание исходящих документов. Входящие документы останутся доступны.",
    ],
    kk: [
      "№ {number} шоттың мерзімі өтті: бұғаттау {blockOn}",
      "№ {number} шот мерзімінде ({dueOn}) төленбеді. Қарыз: {outstanding} {currency}.\nТөленбесе, {blockOn} шығыс құжаттарды жіберу және оларға қол қою бұғатталады. Кіріс құжаттар қолжетімді болып қалады.",
    ],
    uk: [
      "Прострочено рахунок № {number}: блокування {blockOn}",
      "Рахунок № {number} не сплачено вчасно ({dueOn}). Борг: {outstanding} {currency}.\nЯкщо його не буде сплачено, {blockOn} буде заблоковано надсилання та підписання вихідних документів. Вхідні документи залишаться доступними.",
    ],
    en: [
      "Invoice No. {number} overdue: block on {blockOn}",
      "Invoice No. {number} was not paid by {dueOn}. Outstanding: {outstanding} {currency}.\nUnless it is paid, sending and signing outgoing documents will be blocked on {blockOn}. Incoming documents stay readable.",
    ],
  },
  "billing.block_applied": {
    ru: [
      "Исходящий документооборот заблокирован",
      "Из-за неоплаты счёта № {number} заблокированы отправка и подписание исходящих документов и создание внутренних. Входящие документы доступны. Блокировка снимается сразу после полной оплаты.",
    ],
    kk: [
      "Шығыс құжат айналымы бұғатталды",
      "№ {number} шот төленбегендіктен шығыс құжаттарды жіберу, оларға қол қою және ішкі құжаттарды құру бұғатталды. Кіріс құжаттар қолжетімді. Толық төлегеннен кейін бұғат бірден алынады.",
    ],
    uk: [
      "Вихідний документообіг заблоковано",
      "Через несплату рахунку № {number} заблоковано надсилання та підписання вихідних документів і створення внутрішніх. Вхідні документи доступні. Блокування знімається одразу після повної оплати.",
    ],
    en: [
      "Outgoing work blocked",
      "Because invoice No. {number} is unpaid, sending and signing outgoing documents and creating internal ones are blocked. Incoming documents stay readable. Full payment lifts the block at once.",
    ],
  },
  "billing.block_lifted": {
    ru: ["Блокировка снята", "Оплата получена: отправка и подписание исходящих документов снова доступны."],
    kk: ["Бұғат алынды", "Төлем алынды: шығыс құжаттарды жіберу және оларға қол қою қайтадан қолжетімді."],
    uk: ["Блокування знято", "Оплату отримано: надсилання та підписання вихідних документів знову доступні."],
    en: ["Block lifted", "Payment received: sending and signing outgoing documents is available again."],
  },
  "billing.plan_change": {
    ru: [
      "Изменение тарифа с {effectiveOn}",
      "С {effectiveOn} меняется тариф «{planName}»{successor}: новая цена {newPrice} {currency} (без НДС).",
    ],
    kk: [
      "{effectiveOn} бастап тариф өзгереді",
      "{effectiveOn} бастап «{planName}» тарифі өзгереді{successor}: жаңа баға {newPrice} {currency} (ҚҚС-сыз).",
    ],
    uk: [
      "Зміна тарифу з {effectiveOn}",
      "З {effectiveOn} змінюється тариф «{planName}»{successor}: нова ціна {newPrice} {currency} (без ПДВ).",
    ],
    en: [
      "Plan change from {effectiveOn}",
      'From {effectiveOn} the "{planName}" plan changes{successor}: new price {newPrice} {currency} (VAT excluded).',
    ],
  },
  "maintenance.announcement": {
    ru: [
      "Плановые работы: {startsAt} – {endsAt}",
      "{title}\n{body}\nС {startsAt} по {endsAt} (UTC) сервис может быть недоступен.",
    ],
    kk: [
      "Жоспарлы жұмыстар: {startsAt} – {endsAt}",
      "{title}\n{body}\n{startsAt} бастап {endsAt} дейін (UTC) сервис қолжетімсіз болуы мүмкін.",
    ],
    uk: [
      "Планові роботи: {startsAt} – {endsAt}",
      "{title}\n{body}\nЗ {startsAt} до {endsAt} (UTC) сервіс може бути недоступний.",
    ],
    en: [
      "Scheduled maintenance: {startsAt} – {endsAt}",
      "{title}\n{body}\nFrom {startsAt} to {endsAt} (UTC) the service may be unavailable.",
    ],
  },
  "audit.anchor": {
    ru: [
      "Якорь журнала аудита: запись {seq}",
      "Голова журнала аудита на {at}: запись {seq}, хэш {hash} (метка времени: {timestamped}).\nСохраните это письмо: по нему проверяется, что журнал не переписан (qujat audit:verify --anchors).",
    ],
    kk: [
      "Аудит журналының якоры: {seq} жазба",
      "{at} кезіндегі аудит журналының басы: {seq} жазба, хэш {hash} (уақыт белгісі: {timestamped}).\nБұл хатты сақтаңыз: журналдың қайта жазылмағаны осы арқылы тексеріледі (qujat audit:verify --anchors).",
    ],
    uk: [
      "Якір журналу аудиту: запис {seq}",
      "Голова журналу аудиту на {at}: запис {seq}, геш {hash} (позначка часу: {timestamped}).\nЗбережіть цей лист: за ним перевіряється, що журнал не переписано (qujat audit:verify --anchors).",
    ],
    en: [
      "Audit log anchor: entry {seq}",
      "The audit log's head at {at}: entry {seq}, hash {hash} (timestamped: {timestamped}).\nKeep this message: it proves the log was not rewritten (qujat audit:verify --anchors).",
    ],
  },
  "account.inactive_warning": {
    ru: [
      "Ваша учётная запись будет удалена {removeOn}",
      "Вы не входили в систему с {lastLoginAt}. Если вы не войдёте до {removeOn}, учётная запись будет удалена.",
    ],
    kk: [
      "Сіздің есептік жазбаңыз {removeOn} жойылады",
      "Сіз жүйеге {lastLoginAt} бері кірмедіңіз. {removeOn} дейін кірмесеңіз, есептік жазба жойылады.",
    ],
    uk: [
      "Ваш обліковий запис буде видалено {removeOn}",
      "Ви не входили до системи з {lastLoginAt}. Якщо ви не ввійдете до {removeOn}, обліковий запис буде видалено.",
    ],
    en: [
      "Your account will be removed on {removeOn}",
      "You have not signed in since {lastLoginAt}. Unless you sign in by {removeOn}, the account will be removed.",
    ],
  },
  "account.removal_approval": {
    ru: [
      "Удаление последнего администратора",
      "Учётная запись {userId} не используется, но её владелец — последний администратор ({organizations}). Решите в консоли: удалить или сохранить.",
    ],
    kk: [
      "Соңғы әкімшіні жою",
      "{userId} есептік жазбасы пайдаланылмайды, бірақ иесі — соңғы әкімші ({organizations}). Консольде шешіңіз: жою немесе сақтау.",
    ],
    uk: [
      "Видалення останнього адміністратора",
      "Обліковий запис {userId} не використовується, але його власник — останній адміністратор ({organizations}). Вирішіть у консолі: видалити чи зберегти.",
    ],
    en: [
      "Removing the last administrator",
      "Account {userId} is unused, but its owner is the last administrator ({organizations}). Decide in the console: remove or keep.",
    ],
  },
  "retention.disposition_due": {
    ru: [
      "Документы к уничтожению: {documents}",
      "На {asOf} истёк срок хранения {documents} документов ({held} под удержанием, {review} на пересмотр). Просмотрите партию уничтожения и передайте её на утверждение.",
    ],
    kk: [
      "Жоюға жататын құжаттар: {documents}",
      "{asOf} күні {documents} құжаттың сақтау мерзімі өтті ({held} ұстауда, {review} қайта қарауға). Жою партиясын қарап, бекітуге жіберіңіз.",
    ],
    uk: [
      "Документи до знищення: {documents}",
      "На {asOf} сплив строк зберігання {documents} документів ({held} під утриманням, {review} на перегляд). Перегляньте партію знищення та передайте її на затвердження.",
    ],
    en: [
      "Documents due for disposition: {documents}",
      "As of {asOf} the retention of {documents} documents has ended ({held} under legal hold, {review} for review). Preview a disposition batch and pass it for approval.",
    ],
  },
};

/** Words a template needs that depend on the language (e.g. " → successor" only when there is one). */
const SUCCESSOR: Record<Language, string> = {
  ru: " на «{successorName}»",
  kk: ", жаңа тариф «{successorName}»",
  uk: " на «{successorName}»",
  en: ' to "{successorName}"',
};

export const TOPICS = Object.keys(T);

export interface Rendered {
  subject: string;
  text: string;
  html: string;
}

const escapeHtml = (s: string) =>
  s.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]!);

export function render(topic: string, language: Language, vars: Record<string, unknown>): Rendered {
  const templates = T[topic];
  if (!templates) throw new Error(`no template for ${topic}`);
  const [subject, body] = templates[language] ?? templates.en;
  const values: Record<string, string> = {};
  for (const [k, v] of Object.entries(vars)) values[k] = v === null || v === undefined ? "—" : String(v);
  values.successor = values.successorName && values.successorName !== "—" ? fill(SUCCESSOR[language], values) : "";
  const text = fill(body, values);
  const html = `<!doctype html><html lang="${language}"><body>${text
    .split("\n")
    .map((l) => `<p>${linkify(escapeHtml(l))}</p>`)
    .join("")}</body></html>`;
  return { subject: fill(subject, values).replace(/[\r\n]+/g, " "), text, html };
}

function fill(s: string, values: Record<string, string>): string {
  return s.replace(/\{(\w+)\}/g, (_, k: string) => values[k] ?? "—");
}

const linkify = (escaped: string) => escaped.replace(/^(https?:\/\/\S+)$/, '<a href="$1">$1</a>');
